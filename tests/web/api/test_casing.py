"""smsinbox/web/api/casing.py: the renderer answers whatever an error echoes; the parser refuses what it cannot read."""

import io
import json

import pytest
from rest_framework.exceptions import ErrorDetail, ParseError

from smsinbox.web.api.casing import CamelCaseJSONParser, CamelCaseJSONRenderer


def test_a_lone_surrogate_is_rendered_as_a_replacement_character():
    """A choice field's error echoes the input: '"\\ud800" is not a valid choice.' could not be encoded (a 500)."""
    data = {"error": ErrorDetail('"\ud800" is not a valid choice.'), "fields": {"status_code": ["\udfff"]}}
    body = CamelCaseJSONRenderer().render(data)
    assert json.loads(body) == {"error": '"\ufffd" is not a valid choice.', "fields": {"statusCode": ["\ufffd"]}}


def test_valid_text_is_rendered_as_it_is():
    assert json.loads(CamelCaseJSONRenderer().render({"first_name": "Zoë 😀"})) == {"firstName": "Zoë 😀"}


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_a_parse_error(depth):
    """json.loads raises RecursionError, which DRF does not turn into a 400 by itself."""
    with pytest.raises(ParseError, match="nested too deeply"):
        CamelCaseJSONParser().parse(io.BytesIO(b"[" * depth + b"]" * depth))


def test_ordinary_bodies_are_parsed_into_snake_case():
    body = b'{"contactId": 1, "mediaUrls": ["https://media.example/a"]}'
    assert CamelCaseJSONParser().parse(io.BytesIO(body)) == {"contact_id": 1, "media_urls": ["https://media.example/a"]}
