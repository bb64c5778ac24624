"""The reports page on a big organization: 1,000,000 messages in 100,000 conversations over a year.

    python -m tests.bench.reports [--quick]      # figures printed and saved to bench-results/reports.json

Its own PostgreSQL database (``smsinbox_bench_reports_<pid>``, next to ``DATABASE_URL``'s, default
``postgres://postgres@127.0.0.1:5432/postgres``; dropped at the end), migrated, one organization. Seeding is
the fast way: contacts, conversations and messages with ``INSERT … SELECT generate_series`` while the rollup
triggers are off, then the hourly rollup rebuilt in one statement (``rollups_rebuild``) and response and
close times inserted the same way — the same rows the triggers would have written. Then the page for the
default period (the last 30 days, compared with the 30 before) is rendered ``n`` times in this process
(Django's test client: the view, its queries, the template) and the p50 and p95 printed, with its query count.
Target: p50 ≤ 500 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import psycopg

from tests.bench.config import RESULTS

ADMIN_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TARGET_MS = 500


def _seed(cursor, org: int, number: int, user: int, contacts: int, messages: int) -> None:
    cursor.execute(
        """INSERT INTO conversations_contact (organization_id, phone, first_name, last_name, opted_out_at,
               opt_out_method, opt_out_keyword, opt_out_message_id, notes, created_at, updated_at)
           SELECT %(org)s, '+1415' || lpad(i::text, 7, '0'), 'Bench', 'Contact ' || i,
                  CASE WHEN i %% 50 = 0 THEN now() - (i %% 365 || ' days')::interval END,
                  CASE WHEN i %% 50 = 0 THEN 'keyword' ELSE '' END, '', NULL, '',
                  now() - (i %% 365 || ' days')::interval, now()
           FROM generate_series(1, %(n)s) AS i""",
        {"org": org, "n": contacts},
    )
    cursor.execute(
        """INSERT INTO conversations_conversation (organization_id, contact_id, phone_number_id, status, assignee_id,
               last_message_at, last_message_preview, unread_count, version, created_at, updated_at,
               snooze_until_reply)
           SELECT %(org)s, c.id, %(num)s, 'open', NULL, now(), 'Hello', 0, 0, now(), now(), false
           FROM conversations_contact c WHERE c.organization_id = %(org)s""",
        {"org": org, "num": number},
    )
    # Message i: conversation i mod contacts, a minute-spread time over the year, in and out alternately;
    # outbound mostly delivered, some undelivered or failed with codes.
    cursor.execute(
        """WITH convs AS (
               SELECT v.id, c.phone, row_number() OVER (ORDER BY v.id) - 1 AS k
               FROM conversations_conversation v JOIN conversations_contact c ON c.id = v.contact_id
               WHERE v.organization_id = %(org)s)
           INSERT INTO messaging_message (organization_id, conversation_id, direction, twilio_sid, from_number,
               to_number, body, status, num_segments, encoding, num_media, price, price_unit, error_code,
               error_message, geo, sent_by_id, idempotency_key, created_at, updated_at, sent_at, delivered_at,
               send_attempts, dispatch_started_at, needs_lookup, automatic)
           SELECT %(org)s, convs.id, CASE WHEN i %% 2 = 0 THEN 'in' ELSE 'out' END, 'SM' || md5('r' || i),
               '+15005550006', convs.phone, 'Bench message ' || i,
               CASE WHEN i %% 2 = 0 THEN 'received' WHEN i %% 41 = 1 THEN 'undelivered' WHEN i %% 53 = 1 THEN 'failed'
                    ELSE 'delivered' END,
               1 + i %% 3, 'GSM-7', 0, CASE WHEN i %% 2 = 1 THEN -0.0079 END, 'USD',
               CASE WHEN i %% 2 = 1 AND i %% 41 = 1 THEN 30007 WHEN i %% 2 = 1 AND i %% 53 = 1 THEN 30003 END,
               '', '{}', CASE WHEN i %% 2 = 1 THEN %(user)s END, NULL,
               now() - ((i * 31536000.0 / %(n)s) || ' seconds')::interval, now(), NULL, NULL, 1, NULL, false, false
           FROM generate_series(1, %(n)s) AS i JOIN convs ON convs.k = i %% %(contacts)s""",
        {"org": org, "n": messages, "contacts": contacts, "user": user},
    )
    from django.db import connection

    from messaging.reports.rebuild import rollups_rebuild_sql

    for statement in rollups_rebuild_sql(connection.vendor):
        cursor.execute(statement)
    cursor.execute(
        """INSERT INTO reports_reportresponse (organization_id, conversation_id, responder_id, awaited_at,
               answered_at, seconds)
           SELECT %(org)s, i, %(user)s,
               now() - (i * 100 || ' seconds')::interval - ((i %% 7200) || ' seconds')::interval,
               now() - (i * 100 || ' seconds')::interval, i %% 7200
           FROM generate_series(1, 300000) AS i""",
        {"org": org, "user": user},
    )
    cursor.execute(
        """INSERT INTO reports_reportclosure (organization_id, conversation_id, closed_by_id, opened_at, closed_at,
               seconds)
           SELECT %(org)s, i, %(user)s,
               now() - (i * 300 || ' seconds')::interval - ((i %% 86400) || ' seconds')::interval,
               now() - (i * 300 || ' seconds')::interval, i %% 86400
           FROM generate_series(1, 100000) AS i""",
        {"org": org, "user": user},
    )


def main() -> int:
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    contacts, messages, renders = (2_000, 20_000, 5) if quick else (100_000, 1_000_000, 25)
    if os.environ.get("BENCH_REPORTS_SCALE"):  # a fraction of the full size, to profile quickly
        scale = float(os.environ["BENCH_REPORTS_SCALE"])
        contacts, messages = int(contacts * scale), int(messages * scale)
    name = f"smsinbox_bench_reports_{os.getpid()}"
    base = ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from smsinbox.services import organization_setup

        call_command("migrate", verbosity=0)
        setup = organization_setup(name="Bench Org", numbers=["+15005550006"], username="bench", password="bench-pw-1")
        started = time.perf_counter()
        number = setup.organization.phone_numbers.get().pk
        with connection.cursor() as cursor:
            for table in ("messaging_message", "conversations_contact"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        with transaction.atomic(), connection.cursor() as cursor:
            _seed(cursor, setup.organization.pk, number, setup.user.pk, contacts, messages)
        with connection.cursor() as cursor:
            for table in ("messaging_message", "conversations_contact"):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute("ANALYZE")
        seeded = time.perf_counter() - started
        client = Client()
        client.force_login(setup.user)
        times, queries = [], 0
        for _ in range(renders + 1):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get("/reports/")
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.status_code
            queries = len(ctx.captured_queries)
        times = times[1:]  # the first warms the caches
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            client.get("/reports/")
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
            with CaptureQueriesContext(connection) as ctx:
                client.get("/reports/")
            for q in ctx.captured_queries:
                print("QUERY", q["time"], q["sql"][:150])
        p50 = statistics.median(times)
        p95 = sorted(times)[max(int(len(times) * 0.95) - 1, 0)]
        result = {
            "messages": messages, "conversations": contacts, "renders": renders, "seed_s": round(seeded, 1),
            "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "queries": queries, "target_p50_ms": TARGET_MS,
            "ok": p50 <= TARGET_MS, "engine": connection.vendor,
        }  # fmt: skip
        connection.close()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"reports page, {messages:,} messages / {contacts:,} conversations ({result['engine']}): "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {queries} queries "
        f"(target p50 ≤ {TARGET_MS} ms: {'ok' if result['ok'] else 'MISSED'}); seeded in {result['seed_s']} s"
    )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
