"""Releases in the admin: a publisher cuts one (label and notes; the files are written by
institute.datasets.releases), and may withdraw one with a reason. Nothing else about a release
is ever edited, and none is deleted."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from institute.datasets.models import Release
from institute.datasets.releases import check_label, next_label, release_create, release_withdraw


class ReleaseAddForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["label", "notes"]
        help_texts = {"label": _("YYYY.MM, or YYYY.MM.N for a further release that month.")}

    def clean_label(self):
        return check_label(self.cleaned_data["label"])


class ReleaseWithdrawForm(forms.ModelForm):
    class Meta:
        model = Release
        fields = ["withdrawn_reason"]
        labels = {"withdrawn_reason": _("Withdraw it, because…")}
        help_texts = {
            "withdrawn_reason": _("Shown on the release's public page. Its files stay available.")
        }


class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["label", "created_at", "created_by", "withdrawn_at"]
    ordering = ["-created_at"]
    readonly_fields = ["public_page", "created_at", "created_by", "base_url", "notes"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ReleaseWithdrawForm if obj is not None else ReleaseAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["label", "notes"]
        return ["public_page", "created_at", "created_by", "base_url", "notes", "withdrawn_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.is_withdrawn or not request.user.has_perm("institute.withdraw_release"):
            return [*self.readonly_fields, "withdrawn_reason"]
        return self.readonly_fields

    def get_changeform_initial_data(self, request):
        return {"label": next_label()}

    @admin.display(description=_("public page"))
    def public_page(self, obj):
        return format_html('<a href="/data/releases/{0}/">/data/releases/{0}/</a>', obj.label)

    def has_delete_permission(self, request, obj=None):
        return False  # a release is withdrawn, never deleted

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("institute.withdraw_release") or super().has_change_permission(
            request, obj
        )

    def save_model(self, request, obj, form, change):
        try:
            if change and not obj.withdrawn_reason.strip():
                return  # saved without a reason: nothing to do
            if change:
                release_withdraw(obj, reason=obj.withdrawn_reason, by=request.user)
            else:
                created = release_create(
                    label=obj.label,
                    notes=obj.notes,
                    by=request.user,
                    base_url=request.build_absolute_uri("/"),
                )
                obj.pk = created.pk
        except (ValidationError, PermissionDenied) as error:
            # Raised before anything was kept (the service cleans up after itself).
            raise _Refused(error) from error

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            self.message_user(
                request,
                gettext("Nothing was made: %(reason)s") % {"reason": refused.reason},
                messages.ERROR,
            )
            return self.response_refused(request, object_id)

    def response_refused(self, request, object_id):
        if object_id:
            return redirect("admin:institute_release_change", object_id)
        return redirect("admin:institute_release_add")


class _Refused(Exception):
    def __init__(self, error):
        messages_ = getattr(error, "messages", None) or [str(error)]
        self.reason = " ".join(messages_)
        super().__init__(self.reason)
