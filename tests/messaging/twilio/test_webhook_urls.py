"""The URLs we hand Twilio are built from the webhook routes, at PUBLIC_BASE_URL."""

from messaging.twilio.webhook_urls import webhook_url


def test_webhook_urls_follow_the_routes(settings):
    settings.PUBLIC_BASE_URL = "https://inbox.example.com"
    assert webhook_url("sms-incoming") == "https://inbox.example.com/api/twilio/sms-incoming"
    assert webhook_url("sms-status", m=42) == "https://inbox.example.com/api/twilio/sms-status?m=42"
    assert (
        webhook_url("sms-incoming", base_url="http://127.0.0.1:8000/")
        == "http://127.0.0.1:8000/api/twilio/sms-incoming"
    )


def test_without_a_public_url_there_is_none_to_hand_out(settings):
    settings.PUBLIC_BASE_URL = ""
    assert webhook_url("sms-status", m=42) == ""
