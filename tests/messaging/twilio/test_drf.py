"""The DRF pieces of the webhooks on their own: the signature as an authentication class (with the SDK's
published vectors, REFERENCE §1), the permission, the TwiML renderer, the negotiation, how a body is read,
and that none of the REST API's conventions reaches the webhook views."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory, override_settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.settings import api_settings
from twilio.request_validator import RequestValidator

from messaging.twilio.drf import (
    EMPTY_TWIML,
    HasTwilioSignature,
    TwilioSignature,
    TwilioSignatureAuthentication,
    TwimlOnly,
    TwimlRenderer,
    posted_fields,
)
from messaging.twilio.webhooks import SmsIncomingView, SmsStatusView, TwilioWebhookView

TOKEN = "12345"
ACCOUNT = "AC" + "1" * 32
PATH = "/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
SIGNED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="  # https://mycompany.com/myapp.php?foo=1&bar=2 with PARAMS
FORM = "application/x-www-form-urlencoded"
VECTORS = override_settings(
    TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID=ACCOUNT, PUBLIC_BASE_URL="https://mycompany.com", TRUSTED_PROXY=False
)


def webhook_request(
    params=PARAMS, *, signature: str | None = SIGNED, content_type: str = FORM, body: bytes | None = None, **headers
) -> Request:
    """A post as the webhook views see it: Django's request wrapped by the views' own DRF setup."""
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    data = urlencode(params).encode() if body is None else body
    django_request = RequestFactory().generic("POST", PATH, data, content_type=content_type, headers=headers)
    return TwilioWebhookView().initialize_request(django_request)


def authenticate(request: Request):
    return TwilioSignatureAuthentication().authenticate(request)


# --- the authentication class, with the SDK's vectors -----------------------------------------------


@VECTORS
def test_the_published_vector_authenticates_as_nobody_on_behalf_of_the_account():
    user, auth = authenticate(webhook_request([*PARAMS, ("AccountSid", ACCOUNT)], signature=_signed_with_account()))
    assert isinstance(user, AnonymousUser)
    assert auth == TwilioSignature(account_sid=ACCOUNT)
    user, auth = authenticate(webhook_request())  # without AccountSid: checked against the configured account
    assert (user.is_authenticated, auth) == (False, TwilioSignature(account_sid=""))


@VECTORS
@pytest.mark.parametrize(
    "signature",
    [
        "kvajT1Ptam85bY51eRf/AJRuM3w=",  # the same URL with :443: the SDK tries both, accepted
        SIGNED,
    ],
)
def test_port_variants_of_the_public_url_are_accepted(signature):
    assert authenticate(webhook_request(signature=signature))[1] == TwilioSignature(account_sid="")


@VECTORS
@pytest.mark.parametrize(
    ("name", "params", "signature"),
    [
        ("missing header", PARAMS, None),
        ("empty header", PARAMS, ""),
        ("http :80 vector against our https URL", PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ("http :1234 vector", PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        ("a field changed", [*PARAMS[:2], ("Digits", "9999"), *PARAMS[3:]], SIGNED),
        ("a field added", [*PARAMS, ("Body", "x")], SIGNED),
        ("a field removed", PARAMS[1:], SIGNED),
        ("another account", [*PARAMS, ("AccountSid", "AC" + "2" * 32)], SIGNED),
    ],
)
def test_anything_but_the_exact_signature_is_refused(name, params, signature):
    with pytest.raises(AuthenticationFailed) as refused:
        authenticate(webhook_request(params, signature=signature))
    assert str(refused.value.detail) == "Invalid Twilio signature.", name


@VECTORS
def test_the_repeated_keys_vector():
    params = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert authenticate(webhook_request(params, signature="IK+Dwps556ElfBT0I3Rgjkr1wJU="))
    with pytest.raises(AuthenticationFailed):  # one of the repeated values dropped
        authenticate(webhook_request(params[:3], signature="IK+Dwps556ElfBT0I3Rgjkr1wJU="))


@override_settings(TWILIO_AUTH_TOKEN="")
def test_without_a_configured_token_everything_is_refused():
    with pytest.raises(AuthenticationFailed):
        authenticate(webhook_request())


@override_settings(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="")
def test_without_a_public_base_url_forwarded_headers_count_only_behind_a_trusted_proxy():
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "mycompany.com"}
    with override_settings(TRUSTED_PROXY=False), pytest.raises(AuthenticationFailed):
        authenticate(webhook_request(**forwarded))  # the request's own URL: http://testserver/…
    with override_settings(TRUSTED_PROXY=True):
        assert authenticate(webhook_request(**forwarded))


def test_a_refusal_is_a_403_never_a_401():
    assert TwilioSignatureAuthentication().authenticate_header(webhook_request()) is None


# --- how a body is read -----------------------------------------------------------------------------


@VECTORS
def test_a_form_is_parsed_once_by_the_form_parser_and_shared_with_django():
    request = webhook_request()
    authenticate(request)
    assert posted_fields(request) is request.data
    assert request._request.POST is request.data  # Django's request sees the same QueryDict: no second parse
    assert request.data.getlist("Digits") == ["1234"]


@VECTORS
def test_a_multipart_form_is_read_as_django_reads_it_as_before():
    """FormParser is the views' only parser; a multipart post keeps what Django always made of it."""
    django_request = RequestFactory().post(PATH, data=dict(PARAMS), headers={"X-Twilio-Signature": SIGNED})
    request = TwilioWebhookView().initialize_request(django_request)
    assert authenticate(request)
    assert dict(posted_fields(request).items()) == dict(PARAMS)


@VECTORS
def test_a_json_body_carries_no_fields_so_it_is_signed_over_the_url_alone():
    """As before: Django reads no fields from JSON, so a signature over the JSON's fields is refused, and
    one over the URL alone passes with nothing in it (the view then ignores it as malformed)."""
    body = json.dumps(dict(PARAMS)).encode()
    with pytest.raises(AuthenticationFailed):
        authenticate(webhook_request(body=body, content_type="application/json"))
    url_alone = _signature("https://mycompany.com" + PATH, {})
    request = webhook_request(body=body, content_type="application/json", signature=url_alone)
    assert authenticate(request)
    assert dict(posted_fields(request)) == {}


@VECTORS
def test_a_chunked_form_without_content_length_is_read_whole_under_asgi_as_before():
    """DRF reads a body without Content-Length as empty; Django's ASGI request reads it whole: as before."""
    headers = [(b"content-type", FORM.encode()), (b"x-twilio-signature", SIGNED.encode()), (b"host", b"testserver")]
    scope = {"type": "http", "method": "POST", "path": "/myapp.php", "query_string": b"foo=1&bar=2", "headers": headers}
    request = TwilioWebhookView().initialize_request(ASGIRequest(scope, io.BytesIO(urlencode(PARAMS).encode())))
    assert "CONTENT_LENGTH" not in request.META
    assert authenticate(request)
    assert dict(posted_fields(request).items()) == dict(PARAMS)


# --- the permission, the renderer, the negotiation ----------------------------------------------------


@VECTORS
def test_the_permission_requires_the_signature():
    permission, request = HasTwilioSignature(), webhook_request()
    request.user, request.auth = authenticate(request)
    assert permission.has_permission(request, view=None)
    request.user, request.auth = AnonymousUser(), None
    assert not permission.has_permission(request, view=None)
    request.auth = "a token of some other scheme"
    assert not permission.has_permission(request, view=None)


def test_the_renderer_renders_exactly_the_empty_twiml_document_as_text_xml():
    renderer = TwimlRenderer()
    assert (renderer.media_type, renderer.charset) == ("text/xml", None)  # the header: "text/xml" alone
    assert renderer.render(None) == b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert renderer.render(None).decode() == EMPTY_TWIML
    with pytest.raises(TypeError):
        renderer.render({"detail": "an error body is never TwiML"})


@pytest.mark.parametrize("accept", ["application/json", "text/html", "image/png", "*/*", ""])
def test_the_answer_is_twiml_whatever_the_client_accepts(accept):
    request = webhook_request(Accept=accept) if accept else webhook_request()
    renderer, media_type = TwimlOnly().select_renderer(request, [TwimlRenderer()], format_suffix="json")
    assert (type(renderer), media_type) == (TwimlRenderer, "text/xml")


# --- none of the REST API's conventions -----------------------------------------------------------------


@pytest.mark.parametrize("view", [SmsIncomingView, SmsStatusView])
def test_the_views_name_every_policy_and_take_none_from_the_rest_framework_settings(view):
    assert view.parser_classes == [FormParser]
    assert view.renderer_classes == [TwimlRenderer]
    assert view.authentication_classes == [TwilioSignatureAuthentication]
    assert SessionAuthentication not in view.authentication_classes  # so no CSRF
    assert view.permission_classes == [HasTwilioSignature]
    assert view.throttle_classes == []
    assert view.content_negotiation_class is TwimlOnly
    assert view.schema is None
    assert "handle_exception" in TwilioWebhookView.__dict__  # the whole policy: the global handler is never asked
    for default in (
        *api_settings.DEFAULT_RENDERER_CLASSES,
        *api_settings.DEFAULT_PARSER_CLASSES,
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
        *api_settings.DEFAULT_PERMISSION_CLASSES,
    ):
        assert default not in (
            *view.renderer_classes,
            *view.parser_classes,
            *view.authentication_classes,
            *view.permission_classes,
        )


# --- helpers ----------------------------------------------------------------------------------------------


def _signature(url: str, params) -> str:
    return RequestValidator(TOKEN).compute_signature(url, dict(params))


def _signed_with_account() -> str:
    return _signature("https://mycompany.com" + PATH, [*PARAMS, ("AccountSid", ACCOUNT)])
