"""The editorial admin's own views: the review panel and its moves, the history of versions,
compare and revert. Mixed into every editorial ModelAdmin (institute.editorial.admin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from institute.editorial import workflow
from institute.editorial.diffs import diff
from institute.editorial.forms import COMMENT_FIELD
from institute.editorial.history import authors_of, last_published_number
from institute.editorial.models import EntryVersion, Publication, PublicationKind, ReviewEvent
from institute.editorial.moves import MOVES, TRANSITION_MOVES
from institute.editorial.rights import VERBS, approval_required, has_verb
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot, working_state


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "Permission denied."


class ReviewViewsMixin:
    """The review panel of the change form, and the review, history, compare and revert views.
    The ModelAdmin it is mixed into provides `has_publish_permission`."""

    def review_context(self, request, obj) -> dict:
        """The review panel: state, the diff a reviewer judges, the log, and the allowed moves."""
        user = request.user
        revision = obj._pending_revision
        state = working_state(obj, revision)
        if revision is not None:
            base_label = _("the published version")
            changes = diff(type(obj), snapshot(obj), revision.data)
        else:
            base, base_label = self._diff_base(obj)
            changes = diff(type(obj), base.data, snapshot(obj)) if base is not None else []
        moves = [
            {
                "name": name,
                "label": TRANSITION_MOVES[name].label,
                "needs_comment": TRANSITION_MOVES[name].needs_comment,
            }
            for name in workflow.allowed_moves(user, obj)
        ]
        in_review = state == ReviewState.IN_REVIEW
        can_review = has_verb(user, obj, "review")
        is_author = user.pk in authors_of(obj)
        return {
            "state": ReviewState(state),
            "row_state": ReviewState(obj.review_state),
            "revision": revision,
            "moves": moves,
            "can_approve": in_review and can_review and not is_author and not obj.is_approved,
            "is_author": is_author,
            "approval_required": approval_required(),
            "can_assign_me": in_review and can_review and obj.assigned_reviewer_id != user.pk,
            "can_comment": any(has_verb(user, obj, verb) for verb in VERBS),
            "changes": changes,
            "base_label": base_label,
            "events": ReviewEvent.objects.for_entry(obj).select_related("actor")[:100],
            "urls": {name: self._url("review", obj.pk, name) for name in MOVES},
            "history_url": self._url("history", obj.pk),
        }

    def _diff_base(self, obj):
        """What a version under review is compared with: the version last published, or the
        previous version when it was never published."""
        versions = EntryVersion.objects.for_entry(obj)
        live = last_published_number(obj)
        if live:
            base = versions.filter(number=live).first()
            if base is not None and base.number != obj.version:
                return base, _("the version last published (version %s)") % base.number
        base = versions.filter(number__lt=obj.version).first()
        if base is not None:
            return base, _("the previous version (version %s)") % base.number
        return None, _("nothing (first version)")

    # --- URLs: review moves, history, compare, revert -----------------------------------------

    def _url(self, view: str, pk, *args) -> str:
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_{view}",
            args=[pk, *args],
            current_app=self.admin_site.name,
        )

    def get_urls(self):
        opts = self.model._meta
        info = f"{opts.app_label}_{opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/review/<str:move>/",
                wrap(self.review_move_view),
                name=f"{info}_review",
            ),
            path(
                "<path:object_id>/history/compare/",
                wrap(self.compare_view),
                name=f"{info}_compare",
            ),
            path(
                "<path:object_id>/history/<int:number>/revert/",
                wrap(self.revert_view),
                name=f"{info}_revert",
            ),
            *super().get_urls(),
        ]

    def _entry_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with id {object_id}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _back(self, request, obj):
        target = request.POST.get("next") or request.GET.get("next")
        # A path, never a view name: redirect() would try to reverse "queue".
        if (
            target
            and target.startswith("/")
            and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return HttpResponseRedirect(target)
        return redirect(self._url("change", obj.pk))

    def review_move_view(self, request, object_id, move):
        """POST a review move (or approve, comment, assign to me); 403 when not allowed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._entry_or_404(request, object_id)
        move = MOVES.get(move)
        if move is None:
            raise Http404("No such review move.")
        try:
            comment = COMMENT_FIELD.clean(request.POST.get("comment", ""))
            move(obj, by=request.user, comment=comment).run()
        except ValidationError as exc:
            self.message_user(request, f"Nothing changed: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, move.done_message(), messages.SUCCESS)
        return self._back(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        """Every saved version, who and when; compare any two; revert (publishers)."""
        obj = self._entry_or_404(request, object_id)
        versions = list(EntryVersion.objects.for_entry(obj).select_related("created_by"))
        published = set(
            Publication.objects.for_entry(obj)
            .filter(kind=PublicationKind.PUBLISHED)
            .values_list("version__number", flat=True)
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("History: %s") % obj,
            "subtitle": None,
            "versions": versions,
            "published_numbers": published,
            "current": obj.version,
            "can_revert": self.has_publish_permission(request),
            "compare_url": self._url("compare", obj.pk),
            "revert_urls": {v.number: self._url("revert", obj.pk, v.number) for v in versions},
            "change_url": self._url("change", obj.pk),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/entry_history.html", context)

    def compare_view(self, request, object_id):
        obj = self._entry_or_404(request, object_id)
        versions = EntryVersion.objects.for_entry(obj)
        try:
            a = int(request.GET.get("a", ""))
            b = int(request.GET.get("b", ""))
        except ValueError:
            return redirect(self._url("history", obj.pk))
        old, new = versions.filter(number=a).first(), versions.filter(number=b).first()
        if old is None or new is None:
            raise Http404("No such version.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Compare version %(a)s with version %(b)s") % {"a": a, "b": b},
            "subtitle": str(obj),
            "old": old,
            "new": new,
            "changes": diff(type(obj), old.data, new.data),
            "history_url": self._url("history", obj.pk),
            "can_revert": self.has_publish_permission(request),
            "revert_url": self._url("revert", obj.pk, a),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/entry_compare.html", context)

    def revert_view(self, request, object_id, number):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._entry_or_404(request, object_id)
        try:
            version = workflow.revert(
                obj, by=request.user, number=number, comment=request.POST.get("comment", "")
            )
        except ValidationError as exc:
            self.message_user(request, f"Nothing changed: {error_text(exc)}", messages.ERROR)
            return redirect(self._url("history", obj.pk))
        if obj.review_state == ReviewState.PUBLISHED and not version.working_copy:
            if obj._pending_revision is not None:
                note = _(
                    "Version %(n)s is the published version: nothing to review, so the working "
                    "copy was discarded (recorded as version %(new)s)."
                )
            else:
                note = _(
                    "Version %(n)s is the published version: nothing changed, nothing to review "
                    "(recorded as version %(new)s)."
                )
        elif version.working_copy:
            note = _(
                "Version %(n)s restored as version %(new)s, in the working copy and in review: "
                "the public page changes when it is published."
            )
        else:
            note = _("Version %(n)s restored as version %(new)s.")
        self.message_user(request, note % {"n": number, "new": version.number}, messages.SUCCESS)
        return redirect(self._url("change", obj.pk))
