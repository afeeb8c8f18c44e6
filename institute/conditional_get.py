"""If-Modified-Since with a date after now counts as absent, for every surface at once."""

import time

from django.utils.http import parse_http_date_safe

HEADER = "HTTP_IF_MODIFIED_SINCE"


class IgnoreFutureIfModifiedSinceMiddleware:
    """Drops an If-Modified-Since that names a moment after now (RFC 9110, 13.1.3: such a date
    is invalid), so the answer is the full one. Nothing can have been modified after a moment
    still to come, so every comparison would say "not modified": a client with a clock ahead,
    or a hand-written header, would get a 304 for content it never saw until that date.

    Here rather than in each view: Django's `get_conditional_response` (the API), WhiteNoise
    (static files) and ConditionalGetMiddleware or `condition` all read the header from
    `request.META`. Goes before WhiteNoise, which answers without reaching the views."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        since = request.META.get(HEADER)
        if since is not None:
            moment = parse_http_date_safe(since)
            if moment is not None and moment > time.time():
                del request.META[HEADER]
        return self.get_response(request)
