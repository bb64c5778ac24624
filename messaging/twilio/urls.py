from django.urls import path

from messaging.twilio import webhooks

app_name = "twilio"

urlpatterns = [
    path("sms-incoming", webhooks.SmsIncomingView.as_view(), name="sms-incoming"),
    path("sms-status", webhooks.SmsStatusView.as_view(), name="sms-status"),
]
