"""The editorial admin shared by reforms, recommendations and sources.

Everything that changes a review state is a move of institute.editorial.moves, and every save (a
new entry or an edit of one) goes through the write path, institute.editorial.edits; this module
only parses the request, calls them, and says what happened. What a user is offered (buttons,
actions, revert) is what the moves would allow them, and nothing else.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from institute.admin_guards import KeyCheckedRelationsMixin, UniqueRowsInlineFormSet
from institute.editorial import edits, workflow
from institute.editorial.diffs import diff
from institute.editorial.forms import COMMENT_FIELD, PUBLIC_NOTE_FIELD, EditorialForm
from institute.editorial.history import authors_of, ever_published, last_published_number
from institute.editorial.models import EntryVersion, Publication, PublicationKind, ReviewEvent
from institute.editorial.moves import MOVES, TRANSITION_MOVES
from institute.editorial.preview import preview_response
from institute.editorial.rights import VERBS, approval_required, has_verb
from institute.editorial.states import ReviewState
from institute.editorial.versions import (
    child_for,
    m2m_fields,
    pending_revision,
    snapshot,
    snapshot_from_forms,
    state_of_work,
    with_working_state,
    working_state,
)

AUDIT_FIELDS = (
    "review_state",
    "published_at",
    "version",
    "submitted_by",
    "submitted_at",
    "assigned_reviewer",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or gettext("Permission denied.")


class WorkingCopyRowsFormSet(UniqueRowsInlineFormSet):
    """An inline formset whose working-copy rows (offered as new forms with initial values) also
    carry those values on their instances: where the form is read-only (a reviewer, or anyone
    while the copy is in review) the admin shows the instance, and so the rows under review."""

    def writes_rows(self) -> bool:
        # A published entry's stored rows are the public ones its working copy replaces.
        return super().writes_rows() and (
            getattr(self.instance, "review_state", None) != ReviewState.PUBLISHED
        )

    @cached_property
    def _related_objects(self) -> dict[str, dict]:
        """The objects the rows' foreign keys name, one query per key (not one per row)."""
        rows = self.initial_extra or []
        out = {}
        for f in self.model._meta.concrete_fields:
            if f.is_relation and f is not self.fk:
                ids = {row.get(f.name) for row in rows if row.get(f.name) is not None}
                if ids:
                    out[f.name] = f.related_model._default_manager.in_bulk(ids)
        return out

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if not form.is_bound and i >= self.initial_form_count() and form.initial:
            instance = form.instance
            for f in self.model._meta.concrete_fields:
                if f.name not in form.initial or f is self.fk or f.primary_key:
                    continue
                value = form.initial[f.name]
                setattr(instance, f.attname, value)
                related = self._related_objects.get(f.name, {}).get(value)
                if related is not None:
                    setattr(instance, f.name, related)
        return form


class WorkingCopyInlineMixin(KeyCheckedRelationsMixin):
    """An inline of an editorial entry (citations, responses): for a published entry with a
    working copy, it shows the copy's rows instead of the public ones."""

    formset = WorkingCopyRowsFormSet
    # An entry has a handful of these. Without a cap, a forged TOTAL_FORMS makes Django build
    # and render 2,000 forms for one request (seconds of a worker): beyond it, the editor is
    # told "Please submit at most 100 forms", and no more than that are built.
    max_num = 100

    def get_formset(self, request, obj=None, **kwargs):
        # The class's cap: Django sets the instance's max_num to 0 for a user who may not add.
        kwargs.setdefault("absolute_max", type(self).max_num)
        return super().get_formset(request, obj, **kwargs)

    def working_copy_rows(self, obj) -> list[dict] | None:
        """The working copy's rows this inline shows, or None (no working copy)."""
        revision = getattr(obj, "_pending_revision", None)
        child = child_for(type(obj), self.model) if revision is not None else None
        if child is None:
            return None
        return revision.data.get(child.name) or []

    def get_extra(self, request, obj=None, **kwargs):
        rows = self.working_copy_rows(obj)
        if rows is not None:
            return len(rows)
        return super().get_extra(request, obj, **kwargs)

    def get_max_num(self, request, obj=None, **kwargs):
        # Without the add permission (a reviewer) Django sets max_num to 0, which would leave
        # out the working copy's rows: they are offered as new forms. They stay (read-only,
        # EditorialAdminMixin.get_inline_formsets).
        max_num = super().get_max_num(request, obj, **kwargs)
        rows = self.working_copy_rows(obj)
        return max_num if rows is None else max(max_num or 0, len(rows))


class WorkingStateFilter(admin.SimpleListFilter):
    """Where an entry's work stands: a published entry with a working copy in review counts as
    in review (and as published)."""

    title = _("review state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*ReviewState.choices, ("has-working-copy", _("Published, with a working copy"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "has-working-copy":
            return queryset.filter(working_copy_state__isnull=False)
        if value == ReviewState.PUBLISHED:
            return queryset.filter(review_state=value)
        if value in ReviewState.values:
            return queryset.filter(working_state=value)
        return queryset


class MyWorkFilter(admin.SimpleListFilter):
    title = _("whose")
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("assigned", _("Assigned to me"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(
                Q(created_by=request.user) | Q(submitted_by=request.user)
            ).distinct()
        if self.value() == "assigned":
            return queryset.filter(assigned_reviewer=request.user)
        return queryset


def _move_action(name: str, description: str):
    def action(modeladmin, request, queryset):
        modeladmin.run_move(request, queryset, name)

    action.__name__ = f"{name}_selected"
    return admin.action(permissions=[TRANSITION_MOVES[name].verb], description=description)(action)


class EditorialAdminMixin(KeyCheckedRelationsMixin):
    """What every curated model shares in the admin.

    - Review state never editable in a form: it moves only through the review panel's buttons
      and the list's actions (institute.editorial.moves).
    - Editing a published entry saves its working copy; the public row changes on publish.
    - Optimistic locking: a form posted against an older version is refused.
    - Every save is a version (history), with compare and revert.
    - The review panel of the change form, and the review, history, compare and revert views
      (the ModelAdmin provides `has_publish_permission`).
    """

    form = EditorialForm
    readonly_fields = AUDIT_FIELDS
    list_select_related = ("updated_by",)
    editorial_fieldset = (_("Review and audit"), {"fields": AUDIT_FIELDS, "classes": ("collapse",)})
    change_form_template = "admin/institute/editorial_change_form.html"
    actions = (
        _move_action("submit", _("Submit selected for review")),
        _move_action("publish", _("Publish selected (in review)")),
        _move_action("archive", _("Archive selected (unpublish)")),
        _move_action("reopen", _("Reopen selected as drafts")),
    )

    # --- permissions ---------------------------------------------------------------------------

    def has_submit_permission(self, request) -> bool:
        return has_verb(request.user, self.model, "submit")

    def has_review_permission(self, request) -> bool:
        return has_verb(request.user, self.model, "review")

    def has_publish_permission(self, request) -> bool:
        return has_verb(request.user, self.model, "publish")

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or obj.pk is None:
            return True
        # Authors do not edit what is being reviewed; reviewers and publishers may fix it.
        if working_state(obj) == ReviewState.IN_REVIEW:
            return self.has_review_permission(request) or self.has_publish_permission(request)
        return True

    def has_delete_permission(self, request, obj=None):
        # An entry the public ever saw is withdrawn (archived), never deleted: what was
        # published stays, and is read back from its history. Django's bulk delete asks this
        # of each entry too.
        if obj is not None and obj.pk is not None and ever_published(obj):
            return False
        return super().has_delete_permission(request, obj)

    # --- list ----------------------------------------------------------------------------------

    def get_queryset(self, request):
        return with_working_state(super().get_queryset(request))

    def get_list_filter(self, request):
        filters = [
            WorkingStateFilter if f == "review_state" else f
            for f in super().get_list_filter(request)
        ]
        return [MyWorkFilter, *filters]

    @admin.display(description=_("review state"), ordering="review_state")
    def review_status(self, obj) -> str:
        label = ReviewState(obj.review_state).label
        copy_state = getattr(obj, "working_copy_state", None)
        if copy_state:
            return gettext("%(state)s · working copy %(copy_state)s") % {
                "state": label,
                "copy_state": ReviewState(copy_state).label.lower(),
            }
        return str(label)

    def run_move(self, request, queryset, name: str) -> None:
        """An admin action: one transition per entry through its service, each on its own."""
        move = TRANSITION_MOVES[name]
        done, refused = 0, []
        for entry in queryset:
            try:
                move(entry, by=request.user).run()
                done += 1
            except (PermissionDenied, ValidationError) as exc:
                refused.append((entry, error_text(exc)))
        if done:
            self.message_user(
                request,
                gettext("%(move)s: done for %(count)s.") % {"move": move.label, "count": done},
                messages.SUCCESS,
            )
        for entry, reason in refused:
            self.message_user(
                request,
                gettext("Refused, nothing changed — %(entry)s: %(reason)s")
                % {"entry": entry, "reason": reason},
                messages.ERROR,
            )

    # --- change form ---------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(opts)) for name, opts in super().get_fieldsets(request, obj)]
        if obj is not None and self.has_change_permission(request, obj):
            first = fieldsets[0][1]
            first["fields"] = (*first["fields"], "expected_version")
        return fieldsets

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._pending_revision = (
                pending_revision(obj) if obj.review_state == ReviewState.PUBLISHED else None
            )
        return obj

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        revision = getattr(obj, "_pending_revision", None)
        child = child_for(type(obj), inline.model) if revision is not None else None
        if child is not None:
            # The working copy's rows are offered as new rows; the public ones stay untouched.
            kwargs["queryset"] = inline.model._default_manager.none()
            if request.method != "POST":
                kwargs["initial"] = [dict(row) for row in revision.data.get(child.name) or []]
        return kwargs

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        # Where the entry may not be edited (a reviewer, a publisher; the author while it is in
        # review) Django drops an inline's extra forms, and a working copy's rows are extra forms
        # (the public rows are not the ones under review): the reviewer saw an empty table. They
        # are given back, every field read-only (Django would render extra forms as inputs), as
        # the formset's minimum, so that Django's inline script offers no button to remove them.
        kept = [formset.extra for formset in formsets]
        inline_admin_formsets = super().get_inline_formsets(
            request, formsets, inline_instances, obj
        )
        if getattr(obj, "_pending_revision", None) is None:
            return inline_admin_formsets
        read_only = not self.has_change_permission(request, obj)
        for inline_admin_formset, rows in zip(inline_admin_formsets, kept, strict=True):
            formset, inline = inline_admin_formset.formset, inline_admin_formset.opts
            if child_for(type(obj), formset.model) is None:
                continue
            # The heading says whose rows these are: the public page still shows the others.
            # (Django heads an inline of at most one row with the singular name.)
            for name in ("verbose_name", "verbose_name_plural"):
                label = capfirst(getattr(inline, name))
                setattr(inline, name, _("%(rows)s (working copy)") % {"rows": label})
            if read_only:
                formset.min_num = formset.max_num = rows
                inline_admin_formset.readonly_fields = [
                    *inline_admin_formset.readonly_fields,
                    *flatten_fieldsets(inline_admin_formset.fieldsets),
                ]
        return inline_admin_formsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        revision = getattr(obj, "_pending_revision", None)
        if revision is not None and not self.has_change_permission(request, obj):
            # Read-only, Django shows a many-to-many field (topics, themes) as the database
            # holds it: the public version's. The working copy's values are the ones under
            # review; the form's instance is never saved, so they are put where Django looks.
            cache = getattr(obj, "_prefetched_objects_cache", None) or {}
            for f in m2m_fields(type(obj)):
                if f.name in revision.data:
                    manager = f.related_model._default_manager
                    cache[f.name] = manager.filter(pk__in=revision.data[f.name])
            obj._prefetched_objects_cache = cache
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        pass  # save_related writes the entry, the form's inlines with it, in one version

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        if not change:
            data = snapshot_from_forms(obj, form, formsets, previous={})
            edits.create_entry(obj, data, by=request.user)
            self._written_by_the_write_path(formsets)
            return
        revision = getattr(obj, "_pending_revision", None)
        live = type(obj)._default_manager.get(pk=obj.pk)
        previous = revision.data if revision is not None else snapshot(live)
        data = snapshot_from_forms(obj, form, formsets, previous=previous)
        saved = edits.save_edit(
            live, data, by=request.user, expected_version=form.cleaned_data["expected_version"]
        )
        obj.version = saved.version
        self._written_by_the_write_path(formsets)
        if saved.review_state == ReviewState.PUBLISHED:
            self.message_user(
                request,
                _(
                    "Saved as the working copy of the published entry: the public page is "
                    "unchanged until the copy is reviewed and published."
                ),
                messages.INFO,
            )

    @staticmethod
    def _written_by_the_write_path(formsets) -> None:
        # The write path wrote the inlines' rows; Django's change message asks the formsets.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_saveasnew" in request.POST and not self.save_as:
            # Django honours a posted "save as new" even where the admin offers no such button;
            # here a copy would skip the entry's review history, so the post is a plain save.
            request.POST = request.POST.copy()
            del request.POST["_saveasnew"]
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except edits.StaleEdit:
            # Someone saved between the form's version check and the edit service's, under the
            # row lock; the save was rolled back. The form again: its own check now sees the
            # newer version and shows the stale message, the editor's changes still in it.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # The write path refused the entry as a whole (a rule across the entry and its
            # inlines, Editorial.normalized_snapshot); the save was rolled back. The form again,
            # the editor's input in it, refused with the write path's reasons (get_form).
            request.refused_by_write_path = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refused = getattr(request, "refused_by_write_path", None)
        if refused is None:
            return form
        return type(form.__name__, (form,), {"write_path_refusal": refused})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            extra_context["review"] = self.review_context(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- the review panel and the review, history, compare and revert views ----------------

    def review_context(self, request, obj) -> dict:
        """The review panel: state, the diff a reviewer judges, the log, and the allowed moves."""
        user = request.user
        revision = obj._pending_revision
        state = state_of_work(obj, revision)
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
                "destructive": TRANSITION_MOVES[name].destructive,
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
            "preview_url": self._url("preview", obj.pk) if hasattr(obj, "get_absolute_url") else "",
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
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name=f"{info}_preview",
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
        unconfirmed = request.POST.get("confirmed") != "yes"
        if (
            getattr(move, "destructive", False)
            and unconfirmed
            and move(obj, by=request.user).permitted()
        ):
            # A second page, not a script's dialog: the question is asked with or without
            # JavaScript, and nothing changes until it is answered.
            return self._confirm_move(request, obj, move)
        try:
            comment = COMMENT_FIELD.clean(request.POST.get("comment", ""))
            note = PUBLIC_NOTE_FIELD.clean(request.POST.get("public_note", ""))
            move(obj, by=request.user, comment=comment, public_note=note).run()
        except ValidationError as exc:
            self.message_user(
                request,
                gettext("Nothing changed: %(reason)s") % {"reason": error_text(exc)},
                messages.ERROR,
            )
        else:
            self.message_user(request, move.done_message(), messages.SUCCESS)
        return self._back(request, obj)

    def preview_view(self, request, object_id):
        """The work in review as its public page would show it (institute.editorial.preview)."""
        return preview_response(request, self._entry_or_404(request, object_id))

    def _confirm_move(self, request, obj, move):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("%(move)s: are you sure?") % {"move": move.label},
            "subtitle": None,
            "move": move,
            "comment": request.POST.get("comment", "")[:5000],
            "next": request.POST.get("next", ""),
            "action_url": self._url("review", obj.pk, move.name),
            "change_url": self._url("change", obj.pk),
            "public_url": obj.get_absolute_url()
            if obj.review_state == ReviewState.PUBLISHED
            else "",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/confirm_move.html", context)

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
            self.message_user(
                request,
                gettext("Nothing changed: %(reason)s") % {"reason": error_text(exc)},
                messages.ERROR,
            )
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
