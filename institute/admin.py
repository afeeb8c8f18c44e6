from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from institute.models import Citation, Source

AUDIT_FIELDS = (
    "review_state",
    "published_at",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


class EditorialAdminMixin:
    """What every curated model shares in the admin: audit fields shown read-only and kept up to
    date, review state never editable in a form, and the history view (SimpleHistoryAdmin)."""

    readonly_fields = AUDIT_FIELDS
    list_select_related = ("updated_by",)
    editorial_fieldset = ("Review and audit", {"fields": AUDIT_FIELDS, "classes": ("collapse",)})

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ("source",)
    fields = ("source", "locator", "quote", "supports", "position")


@admin.register(Source)
class SourceAdmin(EditorialAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "title",
        "kind",
        "publisher",
        "published_on",
        "review_state",
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
        EditorialAdminMixin.editorial_fieldset,
    )
