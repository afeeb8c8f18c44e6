"""The admin site: Django's, with the model permission checks its own views lack."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.urls import re_path
from django.utils.translation import gettext_lazy as _


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect, for entries the user may see.

    Django's own (contenttypes' `shortcut`) redirects any staff user to any object's URL; for a
    draft that URL is its slug, which is usually its title. Published entries are public anyway;
    anything else takes the model's view or change permission, and is otherwise not found.
    """
    try:
        content_type = ContentType.objects.get_for_id(int(content_type_id))
    except (ValueError, ContentType.DoesNotExist) as exc:
        raise Http404("No such content type.") from exc
    model = content_type.model_class()
    if model is None:
        raise Http404("No such content type.")
    opts, user = model._meta, request.user
    may_view = user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )
    if not may_view:
        public = getattr(model._default_manager.all(), "published", None)
        try:
            visible = public is not None and public().filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404("No such object.")
    return shortcut(request, content_type_id, object_id)


def moved_model(old: str, new: str):
    """A permanent redirect from a model's admin pages under its former app (`old`, as
    "recommendations/response/") to the same page under its app now, query string kept: saved
    links and bookmarks keep working."""

    def redirect(request, rest=""):
        prefix = request.path[: len(request.path) - len(old) - len(rest)]
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(
            f"{prefix}{new}{rest}" + (f"?{query}" if query else "")
        )

    return re_path(rf"^{old}(?P<rest>.*)$", redirect)


# The response moved to the app of its owner, the reform.
MOVED_MODEL_URLS = [moved_model("recommendations/response/", "reforms/response/")]


def refuse_malformed_parameters(view):
    """Query parameters no admin view can use are refused with a 400 before the view runs.

    - A NUL anywhere in the query string: the changelist filters, the autocomplete term and the
      date hierarchy hand values to the database unchecked, and PostgreSQL refuses a NUL in
      text (DataError, a 500). Posted form fields need no such check: Django's form fields
      already refuse a NUL with a form error.
    - An empty `_to_field`: Django checks a `_to_field` only when it is truthy, then looks the
      empty name up as a field (FieldDoesNotExist, a 500) in every change and delete view.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                shown = name.replace("\x00", "\\x00")
                return HttpResponseBadRequest(
                    f"The query parameter {shown!r} contains a NUL character.",
                    content_type="text/plain; charset=utf-8",
                )
        for params in (request.GET, request.POST):
            if TO_FIELD_VAR in params and not params[TO_FIELD_VAR]:
                raise DisallowedModelAdminToField("An empty _to_field cannot be referenced.")
        return view(request, *args, **kwargs)

    return guarded


# A cookie scripts may read, saying only "an editor signed in on this browser": public pages
# stay the same for everyone (so a cache may keep them), and their script shows the "Edit"
# link when it is there. It grants nothing: the admin still asks for the session.
EDITOR_COOKIE = "tracker_editor"


class InstituteAdminSite(admin.AdminSite):
    site_header = _("Kazakhstan Reform Tracker: editorial admin")
    site_title = _("Reform Tracker admin")
    index_title = _("Content and review")

    def check(self, app_configs):
        admin.autodiscover()
        return super().check(app_configs)

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:
            response.set_cookie(
                EDITOR_COOKIE, "1", samesite="Lax", secure=request.is_secure(), httponly=False
            )
        return response

    def logout(self, request, extra_context=None):
        response = super().logout(request, extra_context)
        response.delete_cookie(EDITOR_COOKIE, samesite="Lax")
        return response

    def admin_view(self, view, cacheable=False):
        return super().admin_view(refuse_malformed_parameters(view), cacheable)

    # The apps' admin modules, discovered here rather than at startup
    # (institute.admin_apps.InstituteAdminConfig): discovering twice imports nothing again.
    def get_urls(self):
        admin.autodiscover()
        urls = super().get_urls()
        for n, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[n] = type(pattern)(
                    pattern.pattern, self.admin_view(view_on_site), name="view_on_site"
                )
        return [*MOVED_MODEL_URLS, *urls]
