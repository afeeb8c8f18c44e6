"""The institute app's admin registrations. Django discovers this module only; the ModelAdmins
live with what they administer (institute.editorial, institute.sources)."""

from django.contrib import admin

from institute.alerts.admin import SubscriptionAdmin
from institute.alerts.models import Subscription
from institute.datasets.models import Release
from institute.datasets.release_admin import ReleaseAdmin
from institute.editorial.models import ReviewEvent
from institute.editorial.review_admin import ReviewEventAdmin
from institute.sources.admin import SourceAdmin
from institute.sources.models import Source

admin.site.register(Source, SourceAdmin)
admin.site.register(ReviewEvent, ReviewEventAdmin)
admin.site.register(Subscription, SubscriptionAdmin)
admin.site.register(Release, ReleaseAdmin)
