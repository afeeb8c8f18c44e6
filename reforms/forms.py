"""Admin forms of the reforms app."""

from django import forms

from recommendations.models import ResponseRelation


class ResponseInlineForm(forms.ModelForm):
    """A row posted without a relation (a client older than the field) answers, the default,
    rather than failing the whole change form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].required = False

    def clean_relation(self):
        return self.cleaned_data.get("relation") or ResponseRelation.ANSWERS
