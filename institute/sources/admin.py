"""Sources in the admin, and the citations inline every cited entry's change form has."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from institute import translations
from institute.datasets.admin import TableImportExportMixin
from institute.datasets.resources import SourceResource
from institute.dates import date_label
from institute.editorial.admin import EditorialAdminMixin, WorkingCopyInlineMixin
from institute.sources.models import Citation, Source


class CitationInline(WorkingCopyInlineMixin, admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ("source",)
    fields = ("source", "locator", "quote", "supports", "supports_ru", "supports_kk", "position")
    classes = ("citations-inline",)  # static/css/admin_review.css fits it to the page

    def get_extra(self, request, obj=None, **kwargs):
        # A new entry starts with one empty row to fill in (an entry is cited or it is not
        # published); an existing one adds rows on demand.
        if obj is None:
            return 1
        return super().get_extra(request, obj, **kwargs)


class SourceAdmin(EditorialAdminMixin, TableImportExportMixin, admin.ModelAdmin):
    resource_classes = [SourceResource]
    list_display = (
        "title",
        "kind",
        "publisher",
        "publication_date",
        "review_status",
        "updated_by",
        "updated_at",
    )
    list_filter = ("kind", "review_state")
    search_fields = ("title", "slug", "authors", "publisher", "url")
    prepopulated_fields = {"slug": ("title",)}
    fieldsets = (
        (
            None,
            {"fields": ("title", "slug", "authors", "publisher", "published_on", "url", "kind")},
        ),
        translations.admin_fieldset(Source),
        EditorialAdminMixin.editorial_fieldset,
    )

    @admin.display(description=_("published on"), ordering="published_on")
    def publication_date(self, source):
        return date_label(source.published_on) or "—"
