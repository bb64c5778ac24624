"""One casing for every client: snake_case in Python, camelCase on the wire (REST, live events, the page)."""

from smsinbox.casing import camelize, convert_keys, to_camel, to_snake


def test_keys_are_converted_both_ways():
    assert to_camel("last_message_at") == "lastMessageAt"
    assert to_camel("id") == "id"
    assert to_camel("gsm7_basic") == "gsm7Basic"
    assert to_snake("lastMessageAt") == "last_message_at"
    assert to_snake("gsm7Basic") == "gsm7_basic"


def test_camelize_converts_keys_at_every_depth_and_never_values():
    data = {"message_id": 1, "media": [{"content_type": "image/png"}], "status": "partially_delivered", 3: "x"}
    assert camelize(data) == {
        "messageId": 1,
        "media": [{"contentType": "image/png"}],
        "status": "partially_delivered",
        3: "x",
    }
    assert convert_keys(camelize(data), to_snake) == data
