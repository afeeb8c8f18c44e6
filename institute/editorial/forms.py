"""The editorial change form: shows the working copy of a published entry and carries the
version it was opened at, so a stale form is refused instead of overwriting."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from institute.control_characters import refuse_in_one_line
from institute.editorial.edits import check_version
from institute.editorial.versions import apply_scalars, m2m_fields

MISSING_VERSION_MESSAGE = _(
    "This form did not say which version of the entry it was opened at, so saving it could "
    "overwrite someone else's work. Nothing was saved. Reload the page and make your changes "
    "again."
)

# A review comment as a form field reads it: stripped, and refused with a NUL in it (the review
# log cannot store one on PostgreSQL).
COMMENT_FIELD = forms.CharField(required=False, label=_("comment"), validators=[refuse_in_one_line])
# What a publisher tells readers on publish (Publication.public_note): public, so short.
PUBLIC_NOTE_FIELD = forms.CharField(
    required=False, max_length=300, label=_("public note"), validators=[refuse_in_one_line]
)


class EditorialForm(forms.ModelForm):
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label=_("Expected version")
    )

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

    # Set by the admin on the form it shows again after the write path refused the entry as a
    # whole (EditorialAdminMixin.changeform_view): the reasons, shown above the form.
    write_path_refusal: ValidationError | None = None

    def clean(self):
        cleaned = super().clean()
        if self.write_path_refusal is not None:
            raise ValidationError(
                [
                    f"{name.replace('_', ' ').capitalize()}: {message}"
                    for name, messages in self.write_path_refusal.message_dict.items()
                    for message in messages
                ]
                if hasattr(self.write_path_refusal, "error_dict")
                else self.write_path_refusal.messages
            )
        if self.instance.pk:
            expected = cleaned.get("expected_version")
            if expected is None:
                # Without it the check could not run and the save would overwrite whatever was
                # saved since: refused, never guessed.
                raise ValidationError(MISSING_VERSION_MESSAGE, code="no_version")
            # Against the version saved now; the edit service checks again under the row lock
            # (institute.editorial.edits.save_edit), which closes the window after this check.
            current = (
                type(self.instance)
                ._default_manager.values_list("version", flat=True)
                .get(pk=self.instance.pk)
            )
            check_version(current, expected)
        return cleaned
