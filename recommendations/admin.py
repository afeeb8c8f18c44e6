from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from institute import workflow
from institute.admin import CitationInline, EditorialAdminMixin, WorkingCopyInlineMixin
from institute.admin_guards import KeyCheckedRelationsMixin
from institute.admin_import import TableImportExportMixin
from institute.resources import RecommendationResource
from recommendations.models import Recommendation, Response, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ReformResponseInline(WorkingCopyInlineMixin, admin.TabularInline):
    model = Response
    extra = 0
    autocomplete_fields = ("reform",)
    fields = ("reform", "note")
    verbose_name = "reform that answers it"
    verbose_name_plural = "reforms that answer it"


@admin.register(Recommendation)
class RecommendationAdmin(EditorialAdminMixin, TableImportExportMixin, admin.ModelAdmin):
    resource_classes = [RecommendationResource]
    list_display = (
        "position",
        "title",
        "audience",
        "report",
        "implementation",
        "review_status",
        "updated_by",
        "updated_at",
    )
    list_display_links = ("title",)
    list_filter = ("audience", "themes", "implementation", "review_state", "report")
    list_select_related = ("report", "updated_by")
    search_fields = ("title", "slug", "text", "implementation_note")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("themes", "report")
    inlines = (CitationInline, ReformResponseInline)
    fieldsets = (
        (None, {"fields": ("title", "slug", "text", "audience", "themes", "report", "position")}),
        ("Assessment", {"fields": ("implementation", "implementation_note", "assessed_on")}),
        EditorialAdminMixin.editorial_fieldset,
    )


@admin.register(Response)
class ResponseAdmin(KeyCheckedRelationsMixin, SimpleHistoryAdmin):
    """Responses on their own. A response links two entries the public may read, so writing one
    here changes the public site at once: only publishers of both reforms and recommendations may.
    Editors change responses with the reform or recommendation (reviewed with it)."""

    list_display = ("recommendation", "reform")
    list_select_related = ("recommendation", "reform")
    search_fields = ("note", "reform__title", "recommendation__title")
    autocomplete_fields = ("recommendation", "reform")
    inlines = (CitationInline,)

    def _may_publish_both(self, request) -> bool:
        from reforms.models import Reform

        return workflow.has_verb(request.user, Reform, "publish") and workflow.has_verb(
            request.user, Recommendation, "publish"
        )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._may_publish_both(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_publish_both(request)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_publish_both(request)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple_history saves a posted history form ("revert") after checking only the view
        # right: writing through it takes the change right, like the change form.
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
