from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from institute.admin import CitationInline, EditorialAdminMixin
from recommendations.models import Recommendation, Response, Theme


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ReformResponseInline(admin.TabularInline):
    model = Response
    extra = 0
    autocomplete_fields = ("reform",)
    fields = ("reform", "note")
    verbose_name = "reform that answers it"
    verbose_name_plural = "reforms that answer it"


@admin.register(Recommendation)
class RecommendationAdmin(EditorialAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "position",
        "title",
        "audience",
        "report",
        "implementation",
        "review_state",
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
class ResponseAdmin(SimpleHistoryAdmin):
    list_display = ("recommendation", "reform")
    list_select_related = ("recommendation", "reform")
    search_fields = ("note", "reform__title", "recommendation__title")
    autocomplete_fields = ("recommendation", "reform")
    inlines = (CitationInline,)
