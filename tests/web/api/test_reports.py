"""GET /api/reports/summary and /api/reports/timeseries: the hand-counted story (tests/messaging/reports),
camelCase, bad parameters as 400s, agents only when the organization allows, API keys with reports:read."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from smsinbox.models import Organization
from smsinbox.services import membership_create
from tests.api_client import ApiClient
from tests.messaging.reports.helpers import clock  # noqa: F401 (a fixture)
from tests.messaging.reports.test_figures import story  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

# Mar 7 00:00 EST to Mar 9 00:00 EDT: 47 hours.
PERIOD = {"from": "2026-03-07T00:00:00-05:00", "to": "2026-03-09T00:00:00-04:00"}


def _url(path: str, **params: str) -> str:
    return f"/api/reports/{path}?{urlencode(params)}"


def test_summary_counts_and_compares(org_a, story):  # noqa: F811
    response = ApiClient(org_a.user).get(_url("summary", **PERIOD))
    assert response.status_code == 200, response.content
    data = response.json()
    assert {k: data[k] for k in ("inbound", "outbound", "delivered", "undelivered", "failed")} == {
        "inbound": 3, "outbound": 3, "delivered": 1, "undelivered": 1, "failed": 1,
    }  # fmt: skip
    assert (data["optOuts"], data["uniqueContacts"], data["newContacts"], data["segments"]) == (1, 3, 2, 4)
    assert data["cost"] == "0.01580"
    assert (data["firstResponses"], data["firstResponseMedianSeconds"]) == (2, pytest.approx(2100))
    assert data["firstResponseP90Seconds"] == pytest.approx(3600)
    assert data["timeToCloseMedianSeconds"] == pytest.approx(25200)
    assert (data["from"], data["to"]) == ("2026-03-07T05:00:00Z", "2026-03-09T04:00:00Z")
    assert (data["previous"]["inbound"], data["previous"]["firstResponseMedianSeconds"]) == (1, pytest.approx(300))


def test_timeseries_by_day_in_a_zone_and_by_hour(org_a, story):  # noqa: F811
    api = ApiClient(org_a.user)
    days = api.get(_url("timeseries", metric="inbound", zone="America/New_York", **PERIOD)).json()
    assert days["points"] == [
        {"start": "2026-03-07T00:00:00-05:00", "value": 1},
        {"start": "2026-03-08T00:00:00-05:00", "value": 2},
    ]
    hours = api.get(_url("timeseries", metric="outbound", interval="hour", zone="UTC", **PERIOD)).json()
    assert len(hours["points"]) == 47  # the DST day has 23 hours
    assert [p["start"] for p in hours["points"] if p["value"]] == [
        "2026-03-08T04:00:00+00:00", "2026-03-08T07:00:00+00:00", "2026-03-08T10:00:00+00:00",
    ]  # fmt: skip
    opt_outs = api.get(_url("timeseries", metric="optOuts", zone="America/New_York", **PERIOD)).json()
    assert [p["value"] for p in opt_outs["points"]] == [0, 1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-07", "to": "2026-03-09T00:00:00Z"}, "from"),  # no offset
        ({"from": "yesterday", "to": "2026-03-09T00:00:00Z"}, "from"),
        ({"from": "2026-03-09T00:00:00Z", "to": "2026-03-07T00:00:00Z"}, "to"),  # backwards
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),  # too long
        ({"to": "2026-03-09T00:00:00Z"}, "from"),
        ({**PERIOD, "zone": "Mars/Olympus"}, "zone"),
    ],
)
def test_bad_parameters_are_400s_naming_the_field(org_a, params, field):
    response = ApiClient(org_a.user).get(_url("summary", **params))
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


def test_bad_metric_or_interval_is_a_400(org_a):
    api = ApiClient(org_a.user)
    assert api.get(_url("timeseries", metric="revenue", **PERIOD)).status_code == 400
    assert api.get(_url("timeseries", metric="inbound", interval="week", **PERIOD)).status_code == 400


def test_agents_read_only_when_the_organization_allows(org_a):
    dana = get_user_model().objects.create_user("dana", password="pw-dana-1")
    membership_create(organization=org_a.organization, user=dana)
    refused = ApiClient(dana).get(_url("summary", **PERIOD))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    Organization.objects.filter(pk=org_a.organization.pk).update(reports_for_agents=True)
    assert ApiClient(dana).get(_url("summary", **PERIOD)).status_code == 200


def test_summary_in_business_hours_and_per_label(org_a, story):  # noqa: F811
    from datetime import time

    from conversations.labels import conversations_label, label_create
    from conversations.models import Conversation
    from messaging.hours.rules import Interval
    from messaging.hours.services import business_hours_update

    vip = label_create(organization=org_a.organization, name="VIP")
    ann = Conversation.objects.get(organization=org_a.organization, contact__phone="+14155550101")
    conversations_label(organization=org_a.organization, conversation_ids=[ann.pk], add=[vip.pk])
    data = ApiClient(org_a.user).get(_url("summary", **PERIOD)).json()
    assert data["businessHours"] is False
    assert data["labels"] == [
        {
            "labelId": vip.pk, "name": "VIP", "firstResponses": 2, "firstResponseMedianSeconds": pytest.approx(2100),
            "firstResponseP90Seconds": pytest.approx(3600), "closes": 1,
            "timeToCloseMedianSeconds": pytest.approx(25200), "timeToCloseP90Seconds": pytest.approx(25200),
        }
    ]  # fmt: skip
    business_hours_update(
        organization=org_a.organization, actor=org_a.user, time_zone="America/New_York",
        intervals=[Interval(5, time(23, 35), time(0)), Interval(6, time(3), time(4))],
        auto_reply_enabled=False, auto_reply_text="", auto_reply_every_hours=12, help_reply_text="",
    )  # fmt: skip
    data = ApiClient(org_a.user).get(_url("summary", **PERIOD, businessHours="true")).json()
    assert data["businessHours"] is True
    assert (data["firstResponseMedianSeconds"], data["timeToCloseMedianSeconds"]) == (1050, 5100)
    assert data["labels"][0]["firstResponseP90Seconds"] == 1800
    bad = ApiClient(org_a.user).get(_url("summary", **PERIOD, businessHours="maybe"))
    assert bad.status_code == 400
    assert "businessHours" in bad.json()["fields"]
