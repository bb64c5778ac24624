from django.urls import path

from messaging.twilio import webhooks

app_name = "twilio"

urlpatterns = [
    path("sms-incoming", webhooks.sms_incoming, name="sms-incoming"),
    path("sms-status", webhooks.sms_status, name="sms-status"),
]
