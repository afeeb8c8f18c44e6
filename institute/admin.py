"""The editorial admin shared by reforms, recommendations and sources, and the review queue.

Everything that changes a review state calls institute.workflow; this module only parses the
request, calls the service, and says what happened. What a user is offered (buttons, actions,
revert) is what the services would allow them, and nothing else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from institute import workflow
from institute.admin_guards import (
    BoundedDateHierarchyMixin,
    KeyCheckedRelationsMixin,
    UniqueRowsInlineFormSet,
)
from institute.admin_import import TableImportExportMixin
from institute.models import (
    Citation,
    EntryVersion,
    ReviewAction,
    ReviewEvent,
    Source,
    VersionKind,
)
from institute.resources import SourceResource
from institute.versions import (
    apply_scalars,
    child_for,
    diff,
    ensure_baseline,
    m2m_fields,
    pending_revision,
    record_version,
    save_working_copy,
    snapshot,
    snapshot_from_forms,
)
from institute.workflow import ReviewState

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

STALE_MESSAGE = _(
    "Someone else saved this entry (now version %(current)s) after you opened it (version "
    "%(expected)s). Nothing was saved. Your changes are still in this form: copy what you need, "
    "reload the page to see the latest version, and apply them again."
)

MISSING_VERSION_MESSAGE = _(
    "This form did not say which version of the entry it was opened at, so saving it could "
    "overwrite someone else's work. Nothing was saved. Reload the page and make your changes "
    "again."
)

# A review comment as a form field reads it: stripped, and refused with a NUL in it (the review
# log cannot store one on PostgreSQL).
COMMENT_FIELD = forms.CharField(required=False, label=_("comment"))

SERVICES = {
    "submit": workflow.submit_for_review,
    "request_changes": workflow.request_changes,
    "publish": workflow.publish,
    "archive": workflow.archive,
    "reopen": workflow.reopen,
}


def editorial_models() -> list[type]:
    from recommendations.models import Recommendation
    from reforms.models import Reform

    return [Reform, Recommendation, Source]


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "Permission denied."


class EditorialForm(forms.ModelForm):
    """The change form of an editorial entry: shows the working copy of a published entry, and
    carries the version it was opened at, so a stale form is refused instead of overwriting."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        revision = getattr(instance, "_pending_revision", None)
        if revision is not None:
            apply_scalars(instance, revision.data)  # in memory only: the row is never saved
        super().__init__(*args, **kwargs)
        if revision is not None:
            for f in m2m_fields(type(instance)):
                if f.name in self.fields and f.name in revision.data:
                    self.initial[f.name] = revision.data[f.name]
        if instance is not None and instance.pk:
            self.initial["expected_version"] = instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            # Lock the row for the rest of the save (the admin runs it in one transaction), so
            # the version cannot move between this check and the write.
            current = (
                type(self.instance)
                ._default_manager.select_for_update()
                .values_list("version", flat=True)
                .get(pk=self.instance.pk)
            )
            expected = cleaned.get("expected_version")
            if expected is None:
                # Without it the check could not run and the save would overwrite whatever was
                # saved since: refused, never guessed.
                raise ValidationError(MISSING_VERSION_MESSAGE, code="no_version")
            if expected != current:
                raise ValidationError(
                    STALE_MESSAGE, code="stale", params={"current": current, "expected": expected}
                )
        return cleaned


class WorkingCopyInlineMixin(KeyCheckedRelationsMixin):
    """An inline of an editorial entry (citations, responses): for a published entry with a
    working copy, it shows the copy's rows instead of the public ones."""

    formset = UniqueRowsInlineFormSet

    def get_extra(self, request, obj=None, **kwargs):
        revision = getattr(obj, "_pending_revision", None)
        child = child_for(type(obj), self.model) if revision is not None else None
        if child is not None:
            return len(revision.data.get(child.name) or [])
        return super().get_extra(request, obj, **kwargs)


class CitationInline(WorkingCopyInlineMixin, admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ("source",)
    fields = ("source", "locator", "quote", "supports", "position")


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


def _move_action(name: str, verb: str, description: str):
    def action(modeladmin, request, queryset):
        modeladmin.run_move(request, queryset, name)

    action.__name__ = f"{name}_selected"
    return admin.action(permissions=[verb], description=description)(action)


class EditorialAdminMixin(KeyCheckedRelationsMixin):
    """What every curated model shares in the admin.

    - Review state never editable in a form: it moves only through the workflow buttons and
      actions, which call institute.workflow.
    - Editing a published entry saves its working copy; the public row changes on publish.
    - Optimistic locking: a form posted against an older version is refused.
    - Every save is a version (history), with compare and revert.
    """

    form = EditorialForm
    readonly_fields = AUDIT_FIELDS
    list_select_related = ("updated_by",)
    editorial_fieldset = ("Review and audit", {"fields": AUDIT_FIELDS, "classes": ("collapse",)})
    change_form_template = "admin/institute/editorial_change_form.html"
    actions = (
        _move_action("submit", "submit", _("Submit selected for review")),
        _move_action("publish", "publish", _("Publish selected (in review)")),
        _move_action("archive", "publish", _("Archive selected (unpublish)")),
        _move_action("reopen", "publish", _("Reopen selected as drafts")),
    )

    # --- permissions ---------------------------------------------------------------------------

    def has_submit_permission(self, request) -> bool:
        return workflow.has_verb(request.user, self.model, "submit")

    def has_review_permission(self, request) -> bool:
        return workflow.has_verb(request.user, self.model, "review")

    def has_publish_permission(self, request) -> bool:
        return workflow.has_verb(request.user, self.model, "publish")

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or obj.pk is None:
            return True
        # Authors do not edit what is being reviewed; reviewers and publishers may fix it.
        if workflow.working_state(obj) == ReviewState.IN_REVIEW:
            return self.has_review_permission(request) or self.has_publish_permission(request)
        return True

    # --- list ----------------------------------------------------------------------------------

    def get_queryset(self, request):
        return workflow.with_working_state(super().get_queryset(request))

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
            return f"{label} · working copy {ReviewState(copy_state).label.lower()}"
        return str(label)

    def run_move(self, request, queryset, name: str) -> None:
        """An admin action: one transition per entry through its service, each on its own."""
        done, refused = 0, []
        for entry in queryset:
            try:
                SERVICES[name](entry, by=request.user)
                done += 1
            except (PermissionDenied, ValidationError) as exc:
                refused.append(f"{entry}: {_error_text(exc)}")
        if done:
            self.message_user(
                request, f"{workflow.MOVE_LABELS[name]}: done for {done}.", messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, f"Refused, nothing changed — {line}", messages.ERROR)

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

    def save_model(self, request, obj, form, change):
        if change and obj.review_state == ReviewState.PUBLISHED:
            obj._save_as_working_copy = True  # save_related writes the copy; the row stays
            return
        if change:
            ensure_baseline(obj)
            obj.version += 1
        else:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        if getattr(obj, "_save_as_working_copy", False):
            revision = getattr(obj, "_pending_revision", None)
            live = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
            previous = revision.data if revision is not None else snapshot(live)
            data = snapshot_from_forms(obj, form, formsets, previous=previous)
            save_working_copy(live, by=request.user, data=data)
            obj.version = live.version
            for formset in formsets:  # nothing saved from them; the change message asks
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            self.message_user(
                request,
                _(
                    "Saved as the working copy of the published entry: the public page is "
                    "unchanged until the copy is reviewed and published."
                ),
                messages.INFO,
            )
            return
        super().save_related(request, form, formsets, change)
        record_version(
            obj, by=request.user, kind=VersionKind.EDITED if change else VersionKind.CREATED
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_saveasnew" in request.POST and not self.save_as:
            # Django honours a posted "save as new" even where the admin offers no such button;
            # here a copy would skip the entry's review history, so the post is a plain save.
            request.POST = request.POST.copy()
            del request.POST["_saveasnew"]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            extra_context["review"] = self.review_context(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def review_context(self, request, obj) -> dict:
        """The review panel: state, the diff a reviewer judges, the log, and the allowed moves."""
        user = request.user
        revision = obj._pending_revision
        state = workflow.working_state(obj, revision)
        if revision is not None:
            base_label = _("the published version")
            changes = diff(type(obj), snapshot(obj), revision.data)
        else:
            base, base_label = self._diff_base(obj)
            changes = diff(type(obj), base.data, snapshot(obj)) if base is not None else []
        moves = [
            {
                "name": name,
                "label": workflow.MOVE_LABELS[name],
                "needs_comment": name == "request_changes",
            }
            for name in workflow.allowed_moves(user, obj)
        ]
        in_review = state == ReviewState.IN_REVIEW
        can_review = workflow.has_verb(user, obj, "review")
        is_author = user.pk in workflow.authors_of(obj, revision)
        return {
            "state": ReviewState(state),
            "row_state": ReviewState(obj.review_state),
            "revision": revision,
            "moves": moves,
            "can_approve": in_review and can_review and not is_author and not obj.is_approved,
            "is_author": is_author,
            "approval_required": workflow.approval_required(),
            "can_assign_me": in_review and can_review and obj.assigned_reviewer_id != user.pk,
            "can_comment": any(
                workflow.has_verb(user, obj, verb) for verb in ("submit", "review", "publish")
            ),
            "changes": changes,
            "base_label": base_label,
            "events": ReviewEvent.objects.for_entry(obj).select_related("actor")[:100],
            "urls": {
                name: self._url("review", obj.pk, name)
                for name in [*workflow.MOVES, "approve", "comment", "assign_me"]
            },
            "history_url": self._url("history", obj.pk),
        }

    def _diff_base(self, obj):
        """What a version under review is compared with: the version last published, or the
        previous version when it was never published."""
        versions = EntryVersion.objects.for_entry(obj)
        last_publish = (
            ReviewEvent.objects.for_entry(obj).filter(action=ReviewAction.PUBLISH).first()
        )
        if last_publish is not None:
            base = versions.filter(number=last_publish.version).first()
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
        user = request.user
        try:
            comment = COMMENT_FIELD.clean(request.POST.get("comment", ""))
            if move in SERVICES:
                SERVICES[move](obj, by=user, comment=comment)
                done = _("%(move)s: done.") % {"move": workflow.MOVE_LABELS[move]}
            elif move == "approve":
                workflow.approve(obj, by=user, comment=comment)
                done = _("Approved.")
            elif move == "comment":
                workflow.add_comment(obj, by=user, comment=comment)
                done = _("Comment added.")
            elif move == "assign_me":
                workflow.assign_reviewer(obj, by=user, reviewer=user, comment=comment)
                done = _("You are this entry's reviewer.")
            else:
                raise Http404(f"No review move “{move}”.")
        except ValidationError as exc:
            self.message_user(request, f"Nothing changed: {_error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(request, obj)

    def history_view(self, request, object_id, extra_context=None):
        """Every saved version, who and when; compare any two; revert (publishers)."""
        obj = self._entry_or_404(request, object_id)
        versions = list(EntryVersion.objects.for_entry(obj).select_related("created_by"))
        published = set(
            ReviewEvent.objects.for_entry(obj)
            .filter(action=ReviewAction.PUBLISH)
            .values_list("version", flat=True)
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
            self.message_user(request, f"Nothing changed: {_error_text(exc)}", messages.ERROR)
            return redirect(self._url("history", obj.pk))
        if version.working_copy:
            note = _(
                "Version %(n)s restored as version %(new)s, in the working copy and in review: "
                "the public page changes when it is published."
            )
        else:
            note = _("Version %(n)s restored as version %(new)s.")
        self.message_user(request, note % {"n": number, "new": version.number}, messages.SUCCESS)
        return redirect(self._url("change", obj.pk))


@admin.register(Source)
class SourceAdmin(EditorialAdminMixin, TableImportExportMixin, admin.ModelAdmin):
    resource_classes = [SourceResource]
    list_display = (
        "title",
        "kind",
        "publisher",
        "published_on",
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
        EditorialAdminMixin.editorial_fieldset,
    )


# --- the review log and the review queue ------------------------------------------------------


@admin.register(ReviewEvent)
class ReviewEventAdmin(BoundedDateHierarchyMixin, admin.ModelAdmin):
    """The review log of every entry, read-only; and the review queue (`queue/`)."""

    list_display = ("created_at", "entry_link", "action", "from_state", "to_state", "actor")
    list_filter = ("action", "content_type")
    list_select_related = ("actor", "content_type")
    search_fields = ("comment",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("entry"))
    def entry_link(self, obj) -> str:
        return f"{obj.content_type.name} #{obj.object_id}"

    def get_urls(self):
        return [
            path(
                "queue/",
                self.admin_site.admin_view(self.queue_view),
                name="institute_review_queue",
            ),
            *super().get_urls(),
        ]

    def queue_view(self, request):
        """Entries in review (or in another working state), with who submitted them, when, and
        their reviewer; filters: assigned to me, mine, state, area, kind."""
        from reforms.models import Area

        user = request.user
        models = [
            m
            for m in editorial_models()
            if user.has_perm(workflow.perm_name(m, "view"))
            or user.has_perm(workflow.perm_name(m, "change"))
        ]
        if not models:
            raise PermissionDenied
        params = request.GET
        state = params.get("state", ReviewState.IN_REVIEW)
        whose = params.get("whose", "")
        area = params.get("area", "")
        kind = params.get("kind", "")
        rows = []
        for model in models:
            if kind and kind != model._meta.model_name:
                continue
            if area and model is Source:
                continue
            qs = workflow.with_working_state(model._default_manager.all()).select_related(
                "submitted_by", "assigned_reviewer", "created_by", "approved_by"
            )
            if state in ReviewState.values:
                qs = qs.filter(working_state=state)
            if whose == "assigned":
                qs = qs.filter(assigned_reviewer=user)
            elif whose == "mine":
                qs = qs.filter(Q(created_by=user) | Q(submitted_by=user))
            if area:
                field = "area" if model._meta.model_name == "reform" else "reforms__area"
                qs = qs.filter(**{field: area}).distinct()
            opts = model._meta
            for entry in qs:
                rows.append(
                    {
                        "entry": entry,
                        "kind": opts.verbose_name,
                        "state": ReviewState(entry.working_state),
                        "working_copy": entry.working_copy_state is not None,
                        "url": reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.pk]
                        ),
                    }
                )
        rows.sort(key=lambda r: (r["entry"].submitted_at is None, r["entry"].submitted_at))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review queue"),
            "subtitle": None,
            "rows": rows,
            "filters": {"state": state, "whose": whose, "area": area, "kind": kind},
            "states": ReviewState.choices,
            "areas": Area.choices,
            "kinds": [(m._meta.model_name, m._meta.verbose_name) for m in models],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/institute/review_queue.html", context)
