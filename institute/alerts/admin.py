"""Subscriptions in the admin: addresses are personal data, so only holders of
`institute.view_subscription` see the list (Django's model permissions), nobody adds or edits
one (consent comes from the confirmation link only), and deleting is the one change allowed
(to honour a request made by letter)."""

from django.contrib import admin


class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "listing", "query", "entry_id", "confirmed_at", "sent_until"]
    list_filter = ["listing"]
    search_fields = ["email"]
    readonly_fields = list_display
    exclude = ["token"]  # whoever holds it may cancel the alert: not for display
    actions = None  # no bulk action, export included

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
