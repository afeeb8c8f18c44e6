"""The review queue: entries whose work is in a given state, across every editorial model the
user may see, oldest submission first."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from institute.editorial.models import Editorial, EntryVersion, editorial_models
from institute.editorial.rights import may_view
from institute.editorial.states import IN_REVIEW, ReviewState
from institute.editorial.versions import content_type_of, with_working_state


@dataclass(frozen=True)
class QueueFilters:
    """What the queue's URL asks for; values it does not know select nothing special."""

    state: str = IN_REVIEW
    whose: str = ""  # "mine" or "assigned"
    area: str = ""
    kind: str = ""  # a model name: "reform", "recommendation", "source"
    # Entries of `kind` by id ("12,15,16"): the entries an import just wrote, say.
    ids: tuple[int, ...] = ()

    @classmethod
    def from_params(cls, params) -> QueueFilters:
        # ASCII digits only: str.isdigit() takes "²" too, which int() refuses.
        named = (i.strip() for i in params.get("ids", "").split(","))
        ids = tuple(int(i) for i in named if i.isascii() and i.isdigit())
        return cls(
            state=params.get("state", IN_REVIEW),
            whose=params.get("whose", ""),
            area=params.get("area", ""),
            kind=params.get("kind", ""),
            ids=ids,
        )


def queue_models(user) -> list[type[Editorial]]:
    """The editorial models whose queue the user may read."""
    return [model for model in editorial_models() if may_view(user, model)]


def area_choices() -> list[tuple[str, str]]:
    """The areas the queue filters by: the choices of the field the models' `area_lookup` ends
    in (the model that has the field itself declares `area_lookup = "area"`)."""
    for model in editorial_models():
        if model.area_lookup == "area":
            return list(model._meta.get_field("area").choices)
    return []


def queue_entries(user, models: list[type[Editorial]], filters: QueueFilters) -> list[Editorial]:
    """The entries in the queue, each annotated with `working_state` and `working_copy_state`,
    those never submitted last."""
    entries: list[Editorial] = []
    for model in models:
        if filters.kind and filters.kind != model._meta.model_name:
            continue
        if filters.area and model.area_lookup is None:
            continue
        qs = with_working_state(model._default_manager.all()).select_related(
            "submitted_by", "assigned_reviewer", "created_by", "approved_by"
        )
        if filters.state in ReviewState.values:
            qs = qs.filter(working_state=filters.state)
        if filters.whose == "assigned":
            qs = qs.filter(assigned_reviewer=user)
        elif filters.whose == "mine":
            # Whatever the user created, submitted or saved a version of: an imported working
            # copy of someone else's published entry is theirs too.
            saved = EntryVersion.objects.filter(
                content_type=content_type_of(model), object_id=OuterRef("pk"), created_by=user
            )
            qs = qs.filter(Q(created_by=user) | Q(submitted_by=user) | Exists(saved))
        if filters.ids:
            qs = qs.filter(pk__in=filters.ids)
        if filters.area:
            qs = qs.filter(**{model.area_lookup: filters.area}).distinct()
        entries.extend(qs)
    entries.sort(key=lambda e: (e.submitted_at is None, e.submitted_at))
    return entries
