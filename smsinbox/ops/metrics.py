"""Prometheus metrics (``prometheus-client``), defined once here and served at ``/metrics``.

Multi-process correctness (several uvicorn workers, task workers): two kinds of figures, two ways.

- **Events counted where they happen** (webhook counts and latency, sends by outcome and error code,
  websocket connections, live-event lag) use prometheus-client's *multiprocess mode* when
  ``PROMETHEUS_MULTIPROC_DIR`` is set in the environment (an empty directory per machine, wiped before
  the processes start): each process writes its values to memory-mapped files there and a scrape sums
  them over every process. Without it each process counts alone (right with one process only).
  Counters and histograms add up across processes; the websocket gauge is ``livesum`` (live processes
  only): files of processes that died without saying so are forgotten at scrape time
  (``forget_dead_processes``).
- **State** (send queue depth, task backlog) is read from the database at scrape time
  (``smsinbox.web.ops.DatabaseCollector``): one truth whichever process answers the scrape.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY, Collector

WEBHOOKS = Counter("smsinbox_webhooks_total", "Twilio webhooks answered, by route and outcome.", ["route", "outcome"])
WEBHOOK_SECONDS = Histogram(
    "smsinbox_webhook_seconds",
    "Time from a Twilio webhook reaching the view to its answer, by route and outcome.",
    ["route", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0),
)
SENDS = Counter(
    "smsinbox_sends_total",
    "Send attempts to Twilio by outcome (messaging.services.delivery.DeliveryOutcome) and Twilio error code.",
    ["outcome", "error_code"],
)
WEBSOCKETS = Gauge("smsinbox_websocket_connections", "Open inbox websockets.", multiprocess_mode="livesum")
LIVE_EVENT_LAG = Histogram(
    "smsinbox_live_event_lag_seconds",
    "Time from a live event's publication (after its commit) to its forwarding on a websocket.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

_PID_IN_FILE = re.compile(r"_(\d+)\.db$")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def forget_dead_processes(directory: str) -> None:
    """Drop the live-gauge files of processes that are gone (killed workers never call ``mark_process_dead``)."""
    for path in Path(directory).glob("gauge_live*.db"):
        match = _PID_IN_FILE.search(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:  # alive, someone else's
            pass


def exposition(*extra: Collector) -> bytes:
    """The text exposition of every metric: all processes' (multiprocess mode) or this one's, plus ``extra``."""
    directory = multiprocess_dir()
    if directory:
        with contextlib.suppress(OSError):
            forget_dead_processes(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):  # this process's metrics, without re-registering
            registry.register(collector)
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
