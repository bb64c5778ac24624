from __future__ import annotations

from smsinbox.integrations import signing


def test_a_signature_verifies_only_with_its_secret_body_and_a_fresh_timestamp():
    body = b'{"id":"1","type":"message.received"}'
    header = signing.signature(secret="whsec_a", timestamp=1_700_000_000, body=body)
    assert header.startswith("v1=")
    assert len(header) == 3 + 64
    assert signing.verify(secret="whsec_a", timestamp="1700000000", body=body, header=header, now=1_700_000_100)
    assert not signing.verify(secret="whsec_b", timestamp="1700000000", body=body, header=header, now=1_700_000_100)
    assert not signing.verify(secret="whsec_a", timestamp="1700000000", body=body + b" ", header=header, now=1.7e9)
    assert not signing.verify(secret="whsec_a", timestamp="1700000001", body=body, header=header, now=1.7e9)
    assert not signing.verify(secret="whsec_a", timestamp="1700000000", body=body, header=header, now=1.7e9 + 301)
    assert not signing.verify(secret="whsec_a", timestamp="soon", body=body, header=header, now=1.7e9)
