from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from institute import translations
from institute.control_characters import RefusesControlCharacters
from institute.datasets.admin import TableImportExportMixin
from institute.datasets.resources import RecommendationResource
from institute.editorial.admin import EditorialAdminMixin
from institute.sources.admin import CitationInline
from recommendations.models import Recommendation, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    form = RefusesControlCharacters
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


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
    search_fields = ("title", "slug", "text", "implementation_note", "title_ru", "title_kk")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("themes", "report")
    inlines = (CitationInline,)
    readonly_fields = (*EditorialAdminMixin.readonly_fields, "linked_reforms")
    fieldsets = (
        (None, {"fields": ("title", "slug", "text", "audience", "themes", "report", "position")}),
        translations.admin_fieldset(Recommendation),
        (
            _("Assessment"),
            {"fields": ("implementation", "implementation_note", "assessed_on")},
        ),
        (_("Reforms that answer, anticipate or bear on it"), {"fields": ("linked_reforms",)}),
        EditorialAdminMixin.editorial_fieldset,
    )

    @admin.display(description=_("linked reforms (edited with each reform)"))
    def linked_reforms(self, recommendation):
        """Read-only: a response is its reform's, written, versioned and reviewed with it."""
        if recommendation.pk is None:
            return "—"
        rows = recommendation.responses.select_related("reform").order_by("reform__title")
        return (
            format_html_join(
                "",
                "<p><strong>{}</strong> ({}): {}</p>",
                ((r.reform, r.get_relation_display(), r.note or "—") for r in rows),
            )
            or "—"
        )
