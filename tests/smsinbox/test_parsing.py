"""smsinbox/parsing.py: integers, http(s) URLs and URL ids read from untrusted text, never raising."""

import pytest
from django.urls import Resolver404, resolve

from smsinbox.parsing import MAX_ID, ascii_int, is_http_url


@pytest.mark.parametrize(
    ("text", "expected"), [("0", 0), ("42", 42), ("007", 7), (str(MAX_ID), MAX_ID), ("0" * 5000 + "1", 1)]
)
def test_ascii_digits_are_read(text, expected):
    assert ascii_int(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", " 1", "1 ", "-1", "+1", "1e3", "1.0", "1_000", "²", "٧", "１", str(MAX_ID + 1), "9" * 5000, None, 5],
)
def test_anything_else_is_none(text):
    """'²'.isdigit() is true (int('²') raises) and int('٧') is 7: neither is a number here."""
    assert ascii_int(text) is None


def test_a_smaller_bound_is_kept():
    assert ascii_int("999999999", max_value=999_999_999) == 999_999_999
    assert ascii_int("1000000000", max_value=999_999_999) is None


@pytest.mark.parametrize("url", ["https://media.example/a.png", "http://[::1]/a.png", "HTTP://media.example/a"])
def test_http_urls(url):
    assert is_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://[x/a.png",  # urlsplit raises ValueError ("Invalid IPv6 URL")
        "https://]/a",
        "ftp://media.example/a",
        "https://",
        "//media.example/a",
        "javascript:alert(1)",
        "https://media.example/a\x00b",
        "https://media.example/" + "a" * 1000,
        "",
    ],
)
def test_anything_else_is_not_an_http_url(url):
    assert not is_http_url(url)


def test_path_ids_beyond_what_a_row_can_have_do_not_resolve():
    """<id:…> routes: a number past 2**63-1 names nothing (SQLite would overflow in a foreign-key lookup)."""
    assert resolve(f"/c/{MAX_ID}/").kwargs == {"conversation_id": MAX_ID}
    for path in (f"/c/{MAX_ID + 1}/", "/media/99999999999999999999999/0/", "/contacts/²/"):
        with pytest.raises(Resolver404):
            resolve(path)
