"""CSV import and export in the admin: django-import-export's screens over our engine, and large
files handed to the background worker with a progress page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from institute.datasets.jobs import retry_import_job, run_import_job, sweep_import_jobs
from institute.datasets.models import ImportJob
from institute.datasets.parse import MAX_BYTES
from institute.datasets.permissions import can_import
from institute.datasets.resources import RawCSV


class TableImportExportMixin(ImportExportMixin):
    """Import (preview, then confirm) and export of the admin's tables, by the CSV contract."""

    import_template_name = "admin/institute/import.html"
    formats = [base_formats.CSV, base_formats.XLSX, base_formats.JSON]
    import_formats = [RawCSV]
    show_change_form_export = False

    def get_import_formats(self):
        return [RawCSV]

    def has_export_permission(self, request):
        # django-import-export allows export to any staff user unless
        # IMPORT_EXPORT_EXPORT_PERMISSION_CODE is set; an export holds every row (drafts
        # included), so it takes what the changelist takes: the model's view (or change) right.
        return self.has_view_permission(request)

    def has_import_permission(self, request):
        return any(
            can_import(request.user, r.table_name)
            for r in self.get_import_resource_classes(request)
        )

    def get_import_resource_classes(self, request):
        return [r for r in self.resource_classes if can_import(request.user, r.table_name)] or list(
            self.resource_classes[:1]
        )

    def get_data_for_export(self, request, queryset, **kwargs):
        form = kwargs.get("export_form")
        resource = self.choose_export_resource_class(form, request)()
        return resource.export(
            queryset=queryset,
            export_fields=self.get_export_resource_fields_from_form(form),
            base_url=request.build_absolute_uri("/"),
        )

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        upload = request.FILES.get("import_file") if request.method == "POST" else None
        if upload is not None and upload.size > MAX_BYTES:
            self.message_user(
                request,
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is "
                f"{MAX_BYTES // 1_048_576} MB. Split it into smaller files.",
                messages.ERROR,
            )
            return redirect(request.path)
        if upload is not None and self._is_large(upload):
            return self._start_background_import(request, upload)
        return super().import_action(request, **kwargs)

    def _is_large(self, upload) -> bool:
        lines = 0
        for chunk in upload.chunks():
            lines += chunk.count(b"\n")
            if lines > settings.ADMIN_IMPORT_BACKGROUND_ROWS:
                upload.seek(0)
                return True
        upload.seek(0)
        return False

    def _start_background_import(self, request, upload):
        classes = self.get_import_resource_classes(request)
        chosen = request.POST.get("resource") or "0"
        resource = (
            classes[int(chosen)] if chosen.isdigit() and int(chosen) < len(classes) else classes[0]
        )
        if not can_import(request.user, resource.table_name):
            raise PermissionDenied
        job = ImportJob.objects.create(
            table=resource.table_name,
            file_name=upload.name[:255],
            data=upload.read(),
            created_by=request.user,
        )
        run_import_job.enqueue(job.pk)
        self.message_user(
            request,
            format_html(
                "{} is large, so it is importing in the background. Nothing is written unless "
                "every row is valid.",
                upload.name,
            ),
            messages.INFO,
        )
        return redirect(reverse("admin:institute_importjob_change", args=[job.pk]))


def _may_import_something(user) -> bool:
    return any(can_import(user, table) for table in ("reforms", "recommendations", "sources"))


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background imports: their progress and their reports. Read-only."""

    list_display = ("file_name", "table", "status", "created_by", "created_at", "finished_at")
    list_filter = ("status", "table")
    change_form_template = "admin/institute/import_job.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(created_by=request.user)

    def get_urls(self):
        return [
            path(
                "<int:job_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="institute_importjob_retry",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        sweep_import_jobs()  # a job whose worker died says so, not "running"
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        sweep_import_jobs()
        return super().change_view(request, object_id, form_url, extra_context)

    def retry_view(self, request, job_id):
        """POST: queue a failed job again (its creator or a superuser)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = get_object_or_404(self.get_queryset(request), pk=job_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if not job.retryable:
            self.message_user(
                request,
                "Only a failed import whose file is still kept can be retried; upload the file "
                "again.",
                messages.ERROR,
            )
        else:
            retry_import_job(job)
            self.message_user(request, "Queued again.", messages.SUCCESS)
        return redirect(reverse("admin:institute_importjob_change", args=[job.pk]))

    def has_module_permission(self, request):
        return _may_import_something(request.user)

    def has_view_permission(self, request, obj=None):
        if not _may_import_something(request.user):
            return False
        if obj is not None and not request.user.is_superuser:
            return obj.created_by_id == request.user.pk
        return True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
