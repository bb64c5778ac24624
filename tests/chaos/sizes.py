"""How big each scenario is: ``QUICK`` (``CHAOS_QUICK=1``, a few minutes) and ``FULL`` (the issue's sizes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    contacts: int  # seeded contacts the outbound scenarios text
    pg_webhooks: int  # inbound webhooks per PostgreSQL scenario
    pg_rate: float  # … started per second
    pg_fault_at: float  # seconds into the load when PostgreSQL goes away
    pg_down: float  # seconds it stays away
    redis_clients: int  # websocket clients
    redis_webhooks: tuple[int, int, int]  # inbound webhooks before / while / after Redis is down
    redis_down: float
    twilio_sends: int  # outbound sends per fault phase
    twilio_faults: int  # faulty answers armed per phase
    twilio_outage: float  # seconds of the "Twilio down" phase (every create answers 503)
    kill_sends: int  # outbound sends of the SIGKILL scenario
    kills: int
    storm_quick: bool  # run the retry storm at its small size
    broadcast_recipients: int = 300  # the broadcast-sigkill scenario's recipients (its kills: ``kills``)


QUICK = Sizes(
    contacts=400, pg_webhooks=240, pg_rate=30, pg_fault_at=2.0, pg_down=8.0, redis_clients=10,
    redis_webhooks=(10, 40, 10), redis_down=5.0, twilio_sends=10, twilio_faults=4, twilio_outage=4.0,
    kill_sends=200, kills=10, storm_quick=True,
)  # fmt: skip
FULL = Sizes(
    contacts=2000, pg_webhooks=1200, pg_rate=40, pg_fault_at=8.0, pg_down=12.0, redis_clients=20,
    redis_webhooks=(20, 300, 20), redis_down=10.0, twilio_sends=50, twilio_faults=20, twilio_outage=10.0,
    kill_sends=1000, kills=10, storm_quick=False, broadcast_recipients=1000,
)  # fmt: skip
