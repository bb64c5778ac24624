"""Signature checks through our own entry points, with the SDK's published vectors (REFERENCE §1)."""

import pytest
from django.test import RequestFactory, override_settings

from messaging.twilio.signatures import auth_token_for_account, public_url, request_is_signed, signature_is_valid

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
    ],
)
def test_published_vectors(url, signature):
    assert signature_is_valid(url=url, params=PARAMS, signature=signature, auth_token=TOKEN)


def test_port_variants_are_accepted_both_ways():
    # Signed for the URL without the port; our public URL names :443, and the reverse.
    assert signature_is_valid(
        url="https://mycompany.com:443/myapp.php?foo=1&bar=2",
        params=PARAMS,
        signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        auth_token=TOKEN,
    )
    assert signature_is_valid(url=URL, params=PARAMS, signature="kvajT1Ptam85bY51eRf/AJRuM3w=", auth_token=TOKEN)


def test_repeated_keys_vector():
    from django.http import QueryDict

    params = QueryDict(mutable=True)
    for key, value in [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]:
        params.appendlist(key, value)
    assert signature_is_valid(url=URL, params=params, signature="IK+Dwps556ElfBT0I3Rgjkr1wJU=", auth_token=TOKEN)


def test_tampered_field_wrong_token_and_empty_signature_are_rejected():
    assert not signature_is_valid(
        url=URL, params={**PARAMS, "Digits": "9999"}, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=", auth_token=TOKEN
    )
    assert not signature_is_valid(url=URL, params=PARAMS, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=", auth_token="54321")
    assert not signature_is_valid(url=URL, params=PARAMS, signature="", auth_token=TOKEN)


def test_http_https_mismatch_is_rejected():
    http_url = URL.replace("https://", "http://")
    assert not signature_is_valid(
        url=http_url, params=PARAMS, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=", auth_token=TOKEN
    )


def vector_request(**headers):
    factory = RequestFactory()
    return factory.post("/myapp.php?foo=1&bar=2", data=PARAMS, headers=headers)


@override_settings(TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID="AC" + "1" * 32, PUBLIC_BASE_URL="https://mycompany.com")
def test_request_entry_point_validates_the_vector_against_the_public_base_url():
    assert request_is_signed(vector_request(X_Twilio_Signature="RSOYDt4T1cUTdK1PDd93/VVr8B8="))
    assert not request_is_signed(vector_request(X_Twilio_Signature="0ZXoZLH/DfblKGATFgpif+LLRf4="))
    assert not request_is_signed(vector_request())


@override_settings(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="")
def test_without_a_public_base_url_the_request_url_counts_and_proxy_headers_do_not():
    request = vector_request(
        X_Twilio_Signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=", X_Forwarded_Proto="https", X_Forwarded_Host="mycompany.com"
    )
    with override_settings(TRUSTED_PROXY=False):
        assert public_url(request) == "http://testserver/myapp.php?foo=1&bar=2"
        assert not request_is_signed(request)
    with override_settings(TRUSTED_PROXY=True):
        assert public_url(request) == URL
        assert request_is_signed(request)


@override_settings(TWILIO_AUTH_TOKEN=TOKEN, TWILIO_ACCOUNT_SID="AC" + "1" * 32, PUBLIC_BASE_URL="https://mycompany.com")
def test_another_account_is_not_ours():
    factory = RequestFactory()
    request = factory.post(
        "/myapp.php?foo=1&bar=2",
        data={**PARAMS, "AccountSid": "AC" + "2" * 32},
        headers={"X-Twilio-Signature": "anything"},
    )
    assert not request_is_signed(request)
    assert auth_token_for_account("AC" + "2" * 32) is None
    assert auth_token_for_account("AC" + "1" * 32) == TOKEN
    assert auth_token_for_account("") == TOKEN


@override_settings(TWILIO_AUTH_TOKEN="")
def test_no_configured_token_rejects_everything():
    assert not request_is_signed(vector_request(X_Twilio_Signature="RSOYDt4T1cUTdK1PDd93/VVr8B8="))
