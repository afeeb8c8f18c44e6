from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from institute import translations
from institute.control_characters import RefusesControlCharacters
from institute.datasets.admin import TableImportExportMixin
from institute.datasets.resources import CitationResource, ReformResource, ResponseResource
from institute.dates import date_label
from institute.editorial.admin import EditorialAdminMixin, WorkingCopyInlineMixin
from institute.sources.admin import CitationInline
from reforms.forms import ResponseInlineForm
from reforms.models import Reform, Response, SecondaryArea, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = RefusesControlCharacters
    list_display = ("name", "slug", "area")
    list_filter = ("area",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ResponseInline(WorkingCopyInlineMixin, admin.TabularInline):
    model = Response
    form = ResponseInlineForm
    extra = 0
    autocomplete_fields = ("recommendation",)
    fields = ("recommendation", "relation", "note", "note_ru", "note_kk")
    classes = ("responses-inline",)  # static/css/admin_review.css fits it to the page
    verbose_name = _("linked recommendation")
    verbose_name_plural = _("recommendations it answers, anticipates or bears on")


class SecondaryAreaInline(WorkingCopyInlineMixin, admin.TabularInline):
    model = SecondaryArea
    extra = 0
    fields = ("area",)
    verbose_name = _("also filed under")
    verbose_name_plural = _("also filed under (areas besides its own, where readers also look)")


@admin.register(Reform)
class ReformAdmin(EditorialAdminMixin, TableImportExportMixin, admin.ModelAdmin):
    resource_classes = [ReformResource, CitationResource, ResponseResource]
    list_display = (
        "title",
        "area",
        "status",
        "earliest_date",
        "review_status",
        "updated_by",
        "updated_at",
    )
    list_filter = ("area", "status", "review_state", "acted_by", "initiated_by", "topics")
    search_fields = ("title", "slug", "summary", "body", "title_ru", "title_kk")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("topics",)
    inlines = (CitationInline, ResponseInline, SecondaryAreaInline)

    # A form that leaves these out (or sends them empty) means the default: "on" for a date's
    # qualifier, the government of Kazakhstan for who acted.
    DEFAULTED = ("announced_qualifier", "adopted_qualifier", "effective_qualifier", "acted_by")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in self.DEFAULTED and field is not None:
            field.required = False
            field.empty_value = db_field.default
        return field

    @admin.display(description=_("earliest date"), ordering="first_date")
    def earliest_date(self, reform):
        return date_label(reform.first_date) or "—"

    fieldsets = (
        (None, {"fields": ("title", "slug", "summary", "body")}),
        translations.admin_fieldset(Reform),
        (
            _("Classification"),
            {
                "fields": (
                    "area",
                    "topics",
                    "status",
                    "acted_by",
                    "initiated_by",
                    "initiated_by_detail",
                )
            },
        ),
        (
            _(
                "Dates (YYYY, YYYY-MM or YYYY-MM-DD, as precise as the source, each with how the "
                "source bounds it: on, by, since or about)"
            ),
            {
                "fields": (
                    ("announced_on", "announced_qualifier"),
                    ("adopted_on", "adopted_qualifier"),
                    ("effective_on", "effective_qualifier"),
                )
            },
        ),
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
