"""The REST API's routes, under /api/ (the Twilio webhooks live in messaging/urls.py)."""

from django.urls import re_path

from messaging.apis import ConversationReplyApi, SmsSendApi

urlpatterns = [
    re_path(r"^sms/send/?$", SmsSendApi.as_view(), name="api-sms-send"),
    re_path(
        r"^conversations/(?P<pk>[0-9]+)/messages/?$", ConversationReplyApi.as_view(), name="api-conversation-messages"
    ),
]
