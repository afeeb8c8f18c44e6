from django.contrib import admin

from institute.datasets.admin import TableImportExportMixin
from institute.datasets.resources import RecommendationResource
from institute.editorial.admin import EditorialAdminMixin
from institute.sources.admin import CitationInline
from recommendations.models import Recommendation, Response, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ReformResponseInline(admin.TabularInline):
    """The reforms that answer it, read-only: a response is its reform's, written, versioned and
    reviewed with the reform (in the reform's change form)."""

    model = Response
    extra = 0
    fields = ("reform", "relation", "note")
    readonly_fields = fields
    verbose_name = "linked reform"
    verbose_name_plural = "reforms that answer, anticipate or bear on it (edited with the reform)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


class ReadOnlyCitationInline(CitationInline):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses on their own, to look them up: read-only for everyone.

    A response (and its evidence) is part of its reform's snapshot, so it changes only with the
    reform: in its change form, as a version of the entry, reviewed and
    published with it. Writing one here would change the public site at once, with no review and
    no version.
    """

    list_display = ("recommendation", "reform", "relation")
    list_select_related = ("recommendation", "reform")
    list_filter = ("relation",)
    search_fields = ("note", "reform__title", "recommendation__title")
    inlines = (ReadOnlyCitationInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
