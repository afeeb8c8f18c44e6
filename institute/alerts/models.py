"""A visitor's subscription: personal data, kept only with consent and only while it lasts."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Listing(models.TextChoices):
    """What a subscription follows: the public listing whose search or entry it names."""

    REFORMS = "reforms", _("Reforms")
    RECOMMENDATIONS = "recommendations", _("Recommendations")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """A daily email of the published changes to a search of a listing (`query`: the listing's
    parameters as its URL carries them) or to one entry of it (`entry_id`).

    A row exists only once its address confirmed (double opt-in): the confirmation link carries
    the request, signed, so an address nobody confirmed is never stored. Unsubscribing deletes
    the row. The address is in no dataset, no export and no API; `dumpdata` is run with
    `--exclude institute.Subscription` (README); the admin shows it to holders of
    `institute.view_subscription` only.
    """

    email = models.EmailField(max_length=254)
    listing = models.CharField(max_length=30, choices=Listing.choices)
    query = models.CharField(max_length=2000, blank=True)
    entry_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The secret of the unsubscribe link: whoever holds the message may cancel it. Set by the
    # service that creates the row (`new_token`), not as a field default: the migration would
    # then import this package, which reads the apps.
    token = models.CharField(max_length=64, unique=True, editable=False)
    confirmed_at = models.DateTimeField()
    # Changes published up to this moment have been sent (or predate the consent).
    sent_until = models.DateTimeField()
    # The language the visitor subscribed in: the digest is written in it and links to its pages.
    language = models.CharField(max_length=10, default="en-gb", choices=settings.LANGUAGES)

    class Meta:
        ordering = ["confirmed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="subscription_listing_known", condition=Q(listing__in=Listing.values)
            ),
            # An entry, or a search: never both.
            models.CheckConstraint(
                name="subscription_entry_or_search",
                condition=Q(entry_id__isnull=True) | Q(query=""),
            ),
            models.UniqueConstraint(
                fields=["email", "listing", "query"],
                condition=Q(entry_id__isnull=True),
                name="subscription_one_per_search",
            ),
            models.UniqueConstraint(
                fields=["email", "listing", "entry_id"],
                condition=Q(entry_id__isnull=False),
                name="subscription_one_per_entry",
            ),
        ]

    def __str__(self) -> str:
        what = f"entry #{self.entry_id}" if self.entry_id else f"search ?{self.query}"
        return f"{self.get_listing_display()}: {what}"
