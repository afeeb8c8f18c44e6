"""CSV import and export in the admin (import: our own screens on the engine, large files handed
to the background worker with a progress page; export: django-import-export's), and the page of
the background imports."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from institute.datasets.admin_import import TableImportMixin
from institute.datasets.jobs import retry_import_job, sweep_import_jobs
from institute.datasets.models import ImportJob
from institute.datasets.permissions import can_import


class TableImportExportMixin(TableImportMixin, ExportMixin):
    """Import (our own screens on the engine: institute.datasets.admin_import) and export
    (django-import-export's screens, with the CSV contract's columns) of the admin's tables."""

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    formats = [base_formats.CSV, base_formats.XLSX, base_formats.JSON]
    show_change_form_export = False

    def has_export_permission(self, request):
        # django-import-export allows export to any staff user unless
        # IMPORT_EXPORT_EXPORT_PERMISSION_CODE is set; an export holds every row (drafts
        # included), so it takes what the changelist takes: the model's view (or change) right.
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        # The rows an export of chosen rows may name: those posted that the export may give.
        # django-import-export's own made a form choice of every row of the table, a million at
        # 1M, for each such POST (and warns that it is deprecated).
        posted = [
            pk for pk in request.POST.getlist("export_items") if pk.isascii() and pk.isdigit()
        ]
        return self.get_export_queryset(request).filter(pk__in=posted).values_list("pk", flat=True)

    def get_data_for_export(self, request, queryset, **kwargs):
        form = kwargs.get("export_form")
        resource = self.choose_export_resource_class(form, request)()
        return resource.export(
            queryset=queryset,
            export_fields=self.get_export_resource_fields_from_form(form),
            base_url=request.build_absolute_uri("/"),
        )


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
                gettext(
                    "Only a failed import whose file is still kept can be retried; upload the "
                    "file again."
                ),
                messages.ERROR,
            )
        else:
            retry_import_job(job)
            self.message_user(request, gettext("Queued again."), messages.SUCCESS)
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
