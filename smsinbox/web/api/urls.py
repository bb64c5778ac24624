"""The REST API's routes, under /api/ (the Twilio webhooks live in messaging/twilio/urls.py).

One API class per operation; a path with several methods serves each by its own class
(``method_route``). A trailing slash is optional everywhere, so a POST never meets a redirect.
"""

from django.urls import re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from smsinbox.web.api.broadcasts import (
    BroadcastCancelApi,
    BroadcastCreateApi,
    BroadcastDetailApi,
    BroadcastPauseApi,
    BroadcastResumeApi,
)
from smsinbox.web.api.canned import (
    CannedReplyCreateApi,
    CannedReplyDeleteApi,
    CannedReplyDetailApi,
    CannedReplyListApi,
    CannedReplyUpdateApi,
)
from smsinbox.web.api.conversations import (
    ContactCreateApi,
    ContactDeleteApi,
    ContactDetailApi,
    ContactListApi,
    ContactUpdateApi,
    ConversationDetailApi,
    ConversationListApi,
    ConversationReadApi,
    ConversationUpdateApi,
)
from smsinbox.web.api.failed import FailedMessageListApi, MessagesRetryApi
from smsinbox.web.api.labels import (
    LabelCreateApi,
    LabelDeleteApi,
    LabelListApi,
    LabelUpdateApi,
    SavedViewCreateApi,
    SavedViewDeleteApi,
    SavedViewListApi,
    SavedViewUpdateApi,
)
from smsinbox.web.api.merge import ContactEraseApi, ContactMergeApi
from smsinbox.web.api.messages import ConversationMessageListApi, ConversationReplyApi, MessageDetailApi, SmsSendApi
from smsinbox.web.api.notes import ConversationNoteCreateApi, ConversationNoteListApi
from smsinbox.web.api.reports import ReportSummaryApi, ReportTimeseriesApi
from smsinbox.web.api.routing import api_not_found, method_route
from smsinbox.web.api.schedule import ScheduledMessageCancelApi, ScheduledMessageUpdateApi
from smsinbox.web.api.snooze import ConversationSnoozeApi, ConversationUnsnoozeApi


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's files (no CDN), its script served from here too."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # Our own policy for this page: only our files; Swagger UI's template has one small <style>.
        response["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'"
        )
        return response


urlpatterns = [
    re_path(r"^broadcasts/?$", BroadcastCreateApi.as_view(), name="api-broadcasts"),
    re_path(r"^broadcasts/(?P<pk>[0-9]+)/?$", BroadcastDetailApi.as_view(), name="api-broadcast"),
    re_path(r"^broadcasts/(?P<pk>[0-9]+)/pause/?$", BroadcastPauseApi.as_view(), name="api-broadcast-pause"),
    re_path(r"^broadcasts/(?P<pk>[0-9]+)/resume/?$", BroadcastResumeApi.as_view(), name="api-broadcast-resume"),
    re_path(r"^broadcasts/(?P<pk>[0-9]+)/cancel/?$", BroadcastCancelApi.as_view(), name="api-broadcast-cancel"),
    re_path(r"^sms/send/?$", SmsSendApi.as_view(), name="api-sms-send"),
    re_path(
        r"^contacts/?$",
        method_route(get=ContactListApi.as_view(), post=ContactCreateApi.as_view()),
        name="api-contacts",
    ),
    re_path(
        r"^contacts/(?P<pk>[0-9]+)/?$",
        method_route(
            get=ContactDetailApi.as_view(), patch=ContactUpdateApi.as_view(), delete=ContactDeleteApi.as_view()
        ),
        name="api-contact",
    ),
    re_path(r"^contacts/(?P<pk>[0-9]+)/merge/?$", ContactMergeApi.as_view(), name="api-contact-merge"),
    re_path(r"^contacts/(?P<pk>[0-9]+)/erase/?$", ContactEraseApi.as_view(), name="api-contact-erase"),
    re_path(r"^conversations/?$", ConversationListApi.as_view(), name="api-conversations"),
    re_path(
        r"^conversations/(?P<pk>[0-9]+)/?$",
        method_route(get=ConversationDetailApi.as_view(), patch=ConversationUpdateApi.as_view()),
        name="api-conversation",
    ),
    re_path(r"^conversations/(?P<pk>[0-9]+)/read/?$", ConversationReadApi.as_view(), name="api-conversation-read"),
    re_path(
        r"^conversations/(?P<pk>[0-9]+)/messages/?$",
        method_route(get=ConversationMessageListApi.as_view(), post=ConversationReplyApi.as_view()),
        name="api-conversation-messages",
    ),
    re_path(
        r"^conversations/(?P<pk>[0-9]+)/notes/?$",
        method_route(get=ConversationNoteListApi.as_view(), post=ConversationNoteCreateApi.as_view()),
        name="api-conversation-notes",
    ),
    re_path(r"^labels/?$", method_route(get=LabelListApi.as_view(), post=LabelCreateApi.as_view()), name="api-labels"),
    re_path(
        r"^labels/(?P<pk>[0-9]+)/?$",
        method_route(patch=LabelUpdateApi.as_view(), delete=LabelDeleteApi.as_view()),
        name="api-label",
    ),
    re_path(
        r"^views/?$", method_route(get=SavedViewListApi.as_view(), post=SavedViewCreateApi.as_view()), name="api-views"
    ),
    re_path(
        r"^views/(?P<pk>[0-9]+)/?$",
        method_route(patch=SavedViewUpdateApi.as_view(), delete=SavedViewDeleteApi.as_view()),
        name="api-view",
    ),
    re_path(
        r"^conversations/(?P<pk>[0-9]+)/snooze/?$",
        method_route(post=ConversationSnoozeApi.as_view(), delete=ConversationUnsnoozeApi.as_view()),
        name="api-conversation-snooze",
    ),
    re_path(
        r"^canned-replies/?$",
        method_route(get=CannedReplyListApi.as_view(), post=CannedReplyCreateApi.as_view()),
        name="api-canned-replies",
    ),
    re_path(
        r"^canned-replies/(?P<pk>[0-9]+)/?$",
        method_route(
            get=CannedReplyDetailApi.as_view(),
            patch=CannedReplyUpdateApi.as_view(),
            delete=CannedReplyDeleteApi.as_view(),
        ),
        name="api-canned-reply",
    ),
    re_path(r"^messages/retry/?$", MessagesRetryApi.as_view(), name="api-messages-retry"),
    re_path(r"^messages/failed/?$", FailedMessageListApi.as_view(), name="api-messages-failed"),
    re_path(
        r"^messages/(?P<pk>[0-9]+)/?$",
        method_route(
            get=MessageDetailApi.as_view(),
            patch=ScheduledMessageUpdateApi.as_view(),
            delete=ScheduledMessageCancelApi.as_view(),
        ),
        name="api-message",
    ),
    re_path(r"^reports/summary/?$", ReportSummaryApi.as_view(), name="api-reports-summary"),
    re_path(r"^reports/timeseries/?$", ReportTimeseriesApi.as_view(), name="api-reports-timeseries"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    re_path(r"^docs/?$", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"", api_not_found),  # any other /api/ path: a JSON 404
]
