"""/healthz, /readyz and /metrics: cheap, public where meant to be, revealing nothing; metrics behind a gate."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.test import Client

from conversations.services import contact_create
from messaging.models import Message
from messaging.services.outbound import message_send
from smsinbox.ops.logs import JsonFormatter
from tests.twilio_posts import inbound_params, post_inbound

TOKEN = "metrics-test-token-5d1c"


def sample(client: Client, name: str, **labels: str) -> float:
    """The value of one sample in the exposition (0 when absent)."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
    for line in response.content.decode().splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_healthz_and_readyz_answer_plainly_to_anyone(client):
    health = client.get("/healthz")
    assert (health.status_code, health.content) == (200, b"ok\n")
    ready = client.get("/readyz")
    assert (ready.status_code, ready.content) == (200, b"ready\n")
    assert "no-cache" in ready["Cache-Control"]
    assert client.post("/readyz").status_code == 405


@pytest.mark.django_db
def test_readyz_is_not_ready_above_the_task_backlog_and_says_nothing_more(client, settings, org_a, caplog):
    settings.READY_MAX_TASK_BACKLOG = 1
    contact = contact_create(organization=org_a.organization, phone="+14155550102")
    for body in ("one", "two"):
        message_send(organization=org_a.organization, sender=None, contact=contact, body=body)
    with caplog.at_level(logging.WARNING, logger="smsinbox.ops.health"):
        response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"not ready\n")
    settings.READY_MAX_TASK_BACKLOG = 2
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_metrics_are_a_404_without_the_token_or_an_allowed_address(client, settings):
    assert client.get("/metrics").status_code == 404  # nothing configured: nobody
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 404  # the test client is 127.0.0.1
    settings.METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_webhooks_are_counted_by_route_and_outcome_and_the_send_queue_is_read_from_the_database(
    client, settings, org_a
):
    settings.METRICS_TOKEN = TOKEN
    stored = sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="stored")
    repeated = sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="repeated")
    refused = sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="refused")
    timed = sample(client, "smsinbox_webhook_seconds_count", route="sms-incoming", outcome="stored")
    params = inbound_params(to="+14155550001", sid="SM" + "7" * 32)
    assert post_inbound(client, to="+14155550001", sid="SM" + "7" * 32).status_code == 200
    assert post_inbound(client, to="+14155550001", sid="SM" + "7" * 32).status_code == 200
    forged = client.post("/api/twilio/sms-incoming", data=params, headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403
    assert sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="stored") == stored + 1
    assert sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="repeated") == repeated + 1
    assert sample(client, "smsinbox_webhooks_total", route="sms-incoming", outcome="refused") == refused + 1
    assert sample(client, "smsinbox_webhook_seconds_count", route="sms-incoming", outcome="stored") == timed + 1

    assert sample(client, "smsinbox_send_queue_depth") == 0
    contact = contact_create(organization=org_a.organization, phone="+14155550102")
    message_send(organization=org_a.organization, sender=None, contact=contact, body="hi")
    assert sample(client, "smsinbox_send_queue_depth") == 1
    assert sample(client, "smsinbox_outbound_pending") == 1
    assert sample(client, "smsinbox_tasks", state="ready") == 1


@pytest.mark.django_db
def test_a_json_log_line_names_the_message_sid_and_our_message_id(client, org_a):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("messaging")  # the service's and the view's loggers
    logger.addHandler(handler)
    try:
        post_inbound(client, to="+14155550001", sid="SM" + "8" * 32, body="line\nbreak")
    finally:
        logger.removeHandler(handler)
    message = Message.objects.get(twilio_sid="SM" + "8" * 32)
    lines = [JsonFormatter().format(r) for r in records]
    assert all("\n" not in line for line in lines)
    parsed = [json.loads(line) for line in lines]
    stored = [p for p in parsed if p.get("outcome") == "stored"]
    assert len(stored) == 1
    assert stored[0]["message_sid"] == message.twilio_sid
    assert stored[0]["message_id"] == message.pk
    assert stored[0]["level"] == "INFO"


COUNT = """
from smsinbox.ops.metrics import WEBHOOKS, WEBSOCKETS
WEBHOOKS.labels("sms-incoming", "stored").inc()
WEBSOCKETS.inc()
"""
SCRAPE = """
import os, sys
from smsinbox.ops.metrics import WEBSOCKETS, exposition
WEBSOCKETS.inc()  # this process is alive: its connection counts
sys.stdout.write(exposition().decode())
"""


def test_multiprocess_mode_sums_processes_and_forgets_dead_ones_live_gauges(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two processes that each count one webhook and hold a websocket, then die
        subprocess.run([sys.executable, "-c", COUNT], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    lines = out.stdout.splitlines()
    assert 'smsinbox_webhooks_total{outcome="stored",route="sms-incoming"} 2.0' in lines
    assert "smsinbox_websocket_connections 1.0" in lines  # the dead processes' connections are gone
