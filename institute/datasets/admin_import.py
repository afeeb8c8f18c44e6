"""CSV import in the admin: a small view of our own on the import engine.

Upload → preview → confirm. The upload is checked and planned whole by a dry run of the engine
(institute.datasets.importer.run_import), which writes nothing; the file and the preview are
kept as an ImportJob awaiting confirmation, so the confirmation carries only the job's id and
any of the server's processes can take it. Confirming runs the same file for real, and only if
it plans against the same entries at the same versions as the preview: a save made in between
refuses it (nothing written) rather than being overwritten by what the preview did not show.
A file of more than ADMIN_IMPORT_BACKGROUND_ROWS lines goes to the background worker instead.

django-import-export stays for the admin's export screens only: its import is row by row (about
160 rows/s here), its bulk mode drops many-to-many links, and our engine checks the whole file
before writing, names every problem with its line and column and sends edits to published
entries through review. Its import screens would only wrap that engine in its own Result.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from institute.datasets.imported import imported_entries, submit_imported
from institute.datasets.importer import run_import
from institute.datasets.jobs import refusal_json, report_json, run_import_job
from institute.datasets.models import ImportJob
from institute.datasets.parse import ImportRefused, Limits
from institute.datasets.permissions import can_import
from institute.datasets.plan import PREVIEW_LIMIT, UNCHANGED
from institute.datasets.tables import TABLES
from institute.editorial.diffs import EMPTY, word_diff
from institute.editorial.states import CHANGES_REQUESTED, DRAFT
from institute.editorial.versions import with_working_state


def describe(changes) -> SafeString:
    """A change list in a line, as HTML: “title: First <ins>law</ins>; topics: +Agriculture
    −Media”. A changed text shows its changed words (institute.editorial.diffs.word_diff)."""
    parts = []
    for change in changes:
        if change.is_list:
            moves = [f"+{a}" for a in change.added] + [f"−{r}" for r in change.removed]
            parts.append(
                format_html("{}: {}", change.label, " ".join(moves) or gettext("reordered"))
            )
        elif change.old == EMPTY:  # a new entry, or a field filled in
            parts.append(format_html("{}: <ins>{}</ins>", change.label, _short(change.new)))
        elif change.new == EMPTY:
            parts.append(format_html("{}: <del>{}</del>", change.label, _short(change.old)))
        else:
            parts.append(
                format_html("{}: {}", change.label, word_diff(str(change.old), str(change.new)))
            )
    return mark_safe("; ".join(parts))


def _short(text) -> str:
    text = str(text)
    return text if len(text) <= 60 else text[:57] + "…"


class ImportForm(forms.Form):
    resource = forms.TypedChoiceField(label=_("Table"), coerce=int)
    import_file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8, with the table's header row (see the codebook).")
    )

    def __init__(self, *args, tables: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.tables = tables
        self.fields["resource"].choices = [(i, TABLES[t].title) for i, t in enumerate(tables)]

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if problem := Limits.upload().too_large(upload.size):
            raise forms.ValidationError(problem.reason)
        return upload

    @property
    def table(self) -> str:
        return self.tables[self.cleaned_data["resource"]]


class ConfirmImportForm(forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)


def _is_large(upload) -> bool:
    lines = 0
    for chunk in upload.chunks():
        lines += chunk.count(b"\n")
        if lines > settings.ADMIN_IMPORT_BACKGROUND_ROWS:
            upload.seek(0)
            return True
    upload.seek(0)
    return False


class TableImportMixin:
    """The import screens of an admin whose `resource_classes` name its tables."""

    import_template_name = "admin/institute/import.html"

    def import_tables(self, request) -> list[str]:
        """The tables of this admin the user may import, in the admin's order."""
        return [
            r.table_name for r in self.resource_classes if can_import(request.user, r.table_name)
        ]

    def has_import_permission(self, request) -> bool:
        return bool(self.import_tables(request))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
            path(
                "process_import/",
                self.admin_site.admin_view(self.process_import_view),
                name="{}_{}_process_import".format(*info),
            ),
            path(
                "import/<int:job_id>/",
                self.admin_site.admin_view(self.import_done_view),
                name="{}_{}_import_done".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def render_import(self, request, form, **context):
        opts = self.opts
        return TemplateResponse(
            request,
            self.import_template_name,
            {
                **self.admin_site.each_context(request),
                "opts": opts,
                "title": gettext("Import %(items)s") % {"items": opts.verbose_name_plural},
                "form": form,
                **context,
            },
        )

    def import_view(self, request):
        """GET: the upload form. POST: check and preview the file (a dry run), or hand a large
        one to the background worker."""
        tables = self.import_tables(request)
        if not tables:
            raise PermissionDenied
        if request.method != "POST":
            return self.render_import(request, ImportForm(tables=tables))
        form = ImportForm(request.POST, request.FILES, tables=tables)
        if not form.is_valid():
            return self.render_import(request, form)
        upload = form.cleaned_data["import_file"]
        if _is_large(upload):
            return self.start_background_import(request, form.table, upload)
        data = upload.read()
        try:
            report = run_import(
                table=form.table,
                data=data,
                by=request.user,
                dry_run=True,
                source_name=upload.name,
                preview=True,
            )
        except ImportRefused as exc:
            return self.render_import(request, form, refused=refusal_json(exc, data, form.table))
        job = ImportJob.objects.create(
            table=form.table,
            file_name=upload.name[:255],
            data=data,
            dry_run=True,
            status=ImportJob.Status.PREVIEWED,
            report={**report_json(report), "basis": report.basis},
            created_by=request.user,
        )
        return self.render_import(
            request,
            form,
            report=report,
            # Changes only: a file of 92 rows that changes one shows that one; the unchanged
            # rows are counted and listed apart, folded.
            rows=[
                {"line": o.line, "key": o.key, "action": o.action, "changes": describe(o.changes)}
                for o in report.outcomes
                if o.action != UNCHANGED
            ][:PREVIEW_LIMIT],
            changed_count=sum(o.action != UNCHANGED for o in report.outcomes),
            unchanged=[
                {"line": o.line, "key": o.key} for o in report.outcomes if o.action == UNCHANGED
            ][:PREVIEW_LIMIT],
            unchanged_count=sum(o.action == UNCHANGED for o in report.outcomes),
            confirm_form=ConfirmImportForm(initial={"job": job.pk}),
        )

    def process_import_view(self, request):
        """POST: import a previewed file for real."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        tables = self.import_tables(request)
        if not tables:
            raise PermissionDenied
        confirm = ConfirmImportForm(request.POST)
        job = None
        if confirm.is_valid():
            job = ImportJob.objects.filter(
                pk=confirm.cleaned_data["job"],
                created_by=request.user,
                status=ImportJob.Status.PREVIEWED,
                table__in=tables,
            ).first()
        if job is None:
            self.message_user(
                request,
                gettext(
                    "That preview is gone: it was confirmed already, or it is not yours. Upload "
                    "the file again."
                ),
                messages.ERROR,
            )
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        data = bytes(job.data)
        try:
            report = run_import(
                table=job.table,
                data=data,
                by=request.user,
                source_name=job.file_name,
                planned_against=job.report.get("basis"),
            )
        except ImportRefused as exc:
            self.finish(job, ImportJob.Status.REFUSED, refusal_json(exc, data, job.table))
            form = ImportForm(tables=tables)
            return self.render_import(request, form, refused=job.report)
        self.finish(job, ImportJob.Status.DONE, report_json(report))
        self.message_user(
            request,
            gettext(
                "%(summary)s New entries are drafts; changes to published entries are working "
                "copies for review."
            )
            % {"summary": report.summary()},
            messages.SUCCESS,
        )
        if imported_entries(job) is None:  # a child table's rows: no entries of their own
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            )
        return redirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_import_done", args=[job.pk]
            )
        )

    def import_done_view(self, request, job_id):
        """After an import: its entries, "Submit these N for review" (POST), and the review
        queue filtered to them."""
        job = ImportJob.objects.filter(
            pk=job_id, created_by=request.user, status=ImportJob.Status.DONE
        ).first()
        entries = imported_entries(job) if job is not None else None
        if entries is None:
            raise Http404("No finished import of yours with that number.")
        if request.method == "POST":
            done, refused = submit_imported(entries, by=request.user)
            if done:
                self.message_user(
                    request,
                    gettext("Submitted %(count)s for review.") % {"count": done},
                    messages.SUCCESS,
                )
            for problem in refused:
                self.message_user(
                    request,
                    gettext("Not submitted: %(problem)s") % {"problem": problem},
                    messages.ERROR,
                )
            return redirect(request.path)
        model = entries.model
        rows = list(with_working_state(entries).order_by("pk"))
        submittable = [e for e in rows if e.working_state in (DRAFT, CHANGES_REQUESTED)]
        queue = (
            reverse("admin:institute_review_queue")
            + "?"
            + urlencode(
                {
                    "state": "all",
                    "kind": model._meta.model_name,
                    "ids": ",".join(str(e.pk) for e in rows),
                }
            )
        )
        return TemplateResponse(
            request,
            "admin/institute/import_done.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Imported: %(file)s") % {"file": job.file_name},
                "job": job,
                "rows": rows,
                "submittable": submittable,
                "queue_url": queue,
            },
        )

    @staticmethod
    def finish(job: ImportJob, status: str, report: dict) -> None:
        job.status, job.report, job.finished_at = status, report, timezone.now()
        job.dry_run, job.data = False, b""  # the file is not needed again
        job.save(update_fields=["status", "report", "finished_at", "dry_run", "data"])

    def start_background_import(self, request, table: str, upload):
        job = ImportJob.objects.create(
            table=table,
            file_name=upload.name[:255],
            data=upload.read(),
            created_by=request.user,
        )
        run_import_job.enqueue(job.pk)
        self.message_user(
            request,
            format_html(
                gettext(
                    "{name} is large, so it is importing in the background. Nothing is written "
                    "unless every row is valid."
                ),
                name=upload.name,
            ),
            messages.INFO,
        )
        return redirect(reverse("admin:institute_importjob_change", args=[job.pk]))
