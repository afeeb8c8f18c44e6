"""Who may do what to an editorial entry: the workflow permissions and the actor recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    Actor = AbstractBaseUser | AnonymousUser | None

# The workflow's permission verbs, besides Django's add/change/delete/view.
VERBS = ("submit", "review", "publish")


def perm_name(entry_or_model, verb: str) -> str:
    """`reforms.publish_reform` and the like."""
    opts = entry_or_model._meta
    return f"{opts.app_label}.{verb}_{opts.model_name}"


def has_verb(user: Actor, entry_or_model, verb: str) -> bool:
    """Whether the user holds the workflow permission (superusers hold them all)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(perm_name(entry_or_model, verb))
    )


def may_view(user: Actor, model) -> bool:
    """The model's view or change right: what the review queue and the history ask for."""
    return bool(user is not None) and (
        user.has_perm(perm_name(model, "view")) or user.has_perm(perm_name(model, "change"))
    )


def recorded_user(by: Actor):
    """The user to write into `updated_by`, `actor` and the like: None for the system actor
    (the content loader) and for an anonymous one."""
    return by if getattr(by, "pk", None) else None


def approval_required() -> bool:
    """Whether publishing takes an approval by someone other than the author. On by default;
    `REVIEW_REQUIRES_APPROVAL=0` relaxes it for a team too small to have a second reader."""
    return getattr(settings, "REVIEW_REQUIRES_APPROVAL", True)
