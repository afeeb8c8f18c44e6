"""Recording, once, what went live before publications were recorded (issue 22): a data
migration of each app calls `record_publications` for its editorial model, so that "what did
the public see" is read from the history alone for the entries published before it began."""

from __future__ import annotations

from django.apps import apps as global_apps

from institute.editorial.versions import snapshot

COMMENT = "Recorded from the review log when publications began to be recorded."


def record_publications(apps, app_label: str, model_name: str) -> None:
    """For each published entry of the model: a publication of the version the review log says
    went live (the version at its last publish; else its last version saved to the row; else,
    for an entry built without the write path, what it is now, recorded as its version)."""
    model = apps.get_model(app_label, model_name)
    content_type_model = apps.get_model("contenttypes", "ContentType")
    entry_version = apps.get_model("institute", "EntryVersion")
    publication = apps.get_model("institute", "Publication")
    review_event = apps.get_model("institute", "ReviewEvent")
    content_type, _ = content_type_model.objects.get_or_create(
        app_label=app_label, model=model_name
    )
    for entry in model.objects.filter(review_state="published").iterator():
        about = {"content_type": content_type, "object_id": entry.pk}
        if publication.objects.filter(**about).exists():
            continue
        versions = entry_version.objects.filter(**about)
        event = (
            review_event.objects.filter(**about, action="publish")
            .order_by("-created_at", "-pk")
            .first()
        )
        live = versions.filter(number=event.version).first() if event else None
        if live is None:
            live = versions.filter(working_copy=False).order_by("-number").first()
        if live is None:
            live = entry_version.objects.create(
                **about,
                number=entry.version,
                kind="baseline",
                data=_snapshot_now(app_label, model_name, entry.pk),
                comment=COMMENT,
            )
        publication.objects.create(
            **about,
            kind="published",
            version=live,
            created_at=entry.published_at,
            created_by_id=event.actor_id if event else None,
            comment=COMMENT,
        )


def _snapshot_now(app_label: str, model_name: str, pk: int) -> dict:
    # The snapshot is the write path's own shape, which only today's code knows (the real model,
    # not the migration's): this runs once, on databases that hold entries built without
    # versions (a fresh database has none).
    return snapshot(global_apps.get_model(app_label, model_name).objects.get(pk=pk))
