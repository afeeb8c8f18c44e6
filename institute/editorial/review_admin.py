"""The review log (every entry's, read-only), the review queue, and each reviewer's choice of
email notices, in the admin."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from institute.admin_guards import BoundedDateHierarchyMixin
from institute.editorial.models import ReviewNotices, editorial_models
from institute.editorial.queue import QueueFilters, area_choices, queue_entries, queue_models
from institute.editorial.rights import has_verb
from institute.editorial.states import ReviewState


class ReviewEventAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    """The review log of every entry, read-only; and the review queue (`queue/`)."""

    list_display = ("created_at", "entry_link", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "content_type")
    list_select_related = ("actor", "content_type")
    search_fields = ("comment",)
    date_hierarchy = "created_at"
    queue_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("entry"))
    def entry_link(self, obj) -> str:
        """The entry's change page (the user's rights are checked there)."""
        content_type = obj.content_type
        label = f"{content_type.name} #{obj.object_id}"
        try:
            url = reverse(
                f"admin:{content_type.app_label}_{content_type.model}_change",
                args=[obj.object_id],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:  # a model the admin does not show
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    def get_urls(self):
        return [
            path(
                "queue/",
                self.admin_site.admin_view(self.queue_view),
                name="institute_review_queue",
            ),
            path(
                "notices/",
                self.admin_site.admin_view(self.notices_view),
                name="institute_review_notices",
            ),
            *super().get_urls(),
        ]

    def notices_view(self, request):
        """The signed-in reviewer's own choice of email notices (nobody else's)."""
        user = request.user
        if not any(has_verb(user, model, "review") for model in editorial_models()):
            raise PermissionDenied
        notices = ReviewNotices.objects.filter(user=user).first() or ReviewNotices(user=user)
        if request.method == "POST":
            notices.on_submitted = request.POST.get("on_submitted") == "on"
            notices.on_assigned = request.POST.get("on_assigned") == "on"
            notices.save()
            self.message_user(request, _("Your email notices are saved."), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Email notices"),
            "subtitle": None,
            "notices": notices,
            "email": user.email,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/review_notices.html", context)

    def queue_view(self, request):
        """Entries in review (or in another working state), with who submitted them, when, their
        reviewer and approval; filters: assigned to me, mine, state, area, kind; by pages."""
        user = request.user
        models = queue_models(user)
        if not models:
            raise PermissionDenied
        filters = QueueFilters.from_params(request.GET)
        page = Paginator(queue_entries(user, models, filters), self.queue_per_page).get_page(
            request.GET.get("page")
        )
        rows = [
            {
                "entry": entry,
                "kind": entry._meta.verbose_name,
                "state": ReviewState(entry.working_state),
                "working_copy": entry.working_copy_state is not None,
                "url": reverse(
                    f"admin:{entry._meta.app_label}_{entry._meta.model_name}_change",
                    args=[entry.pk],
                ),
            }
            for entry in page
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review queue"),
            "subtitle": None,
            "rows": rows,
            "page": page,
            "filters": filters,
            "states": ReviewState.choices,
            "areas": area_choices(),
            "kinds": [(m._meta.model_name, m._meta.verbose_name) for m in models],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/review_queue.html", context)
