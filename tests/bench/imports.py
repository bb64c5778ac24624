"""S11: 100,000 contacts imported from one CSV through the real background import job.

    python -m tests.bench.imports [--quick]      # figures printed and saved to bench-results/imports.json

Its own PostgreSQL database (``smsinbox_bench_imports_<pid>``, next to ``DATABASE_URL``'s, default
``postgres://postgres@127.0.0.1:5432/postgres``; dropped at the end), migrated, one organization with two labels
and 1,000 contacts already there (so some rows update rather than create). The file: a BOM, semicolons, quoted
names with commas, numbers written several ways, a labels column, every 500th row a bad number and every 1,000th
a repeat. It is uploaded (``contact_import_create``), started (``contact_import_start``) and run by the task's
body (``contact_import_process``: batches committed one by one, as a worker runs it). Timed: from the start of
the run to ``done``. Target: ≤ 60 s for 100,000 rows (``--quick``: 5,000 rows).
"""

from __future__ import annotations

import json
import os
import sys
import time

import psycopg

from tests.bench.config import RESULTS

ADMIN_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TARGET_S = 60


def _local(i: int) -> str:
    """Row ``i``'s seven digits after 415 (exchanges 200–899: valid North American numbers)."""
    return str(2_000_000 + i % 7_000_000)


def csv_file(rows: int) -> bytes:
    """The bench's CSV (see the module docstring)."""
    lines = ["Phone;First name;Last name;Labels"]
    for i in range(1, rows + 1):
        n = _local(i - 1 if i % 1000 == 1 and i > 1 else i)  # every 1,000th row repeats the one before
        written = (f"+1415{n}", f"(415) {n[:3]}-{n[3:]}", f"415.{n[:3]}.{n[3:]}")[i % 3]
        number = f"12{i}" if i % 500 == 0 else written  # every 500th refused, reported with its row
        lines.append(f'{number};"Ann, {i}";Lee;{"VIP|Sales" if i % 7 == 0 else ""}')
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def main() -> int:
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")
    rows = 5_000 if quick else 100_000
    name = f"smsinbox_bench_imports_{os.getpid()}"
    base = ADMIN_URL.rsplit("/", 1)[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = f"{base}/{name}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from conversations.import_jobs import contact_import_create, contact_import_process, contact_import_start
        from conversations.labels import label_create
        from conversations.models import Contact
        from smsinbox.services import organization_setup

        call_command("migrate", verbosity=0)
        setup = organization_setup(name="Bench Org", numbers=["+15005550006"], username="bench", password="bench-pw-1")
        org = setup.organization
        for label in ("VIP", "Sales"):
            label_create(organization=org, name=label)
        Contact.objects.bulk_create(
            Contact(organization=org, phone=f"+1415{_local(i)}", first_name="Old") for i in range(1, 1001)
        )
        data = csv_file(rows)
        job = contact_import_create(organization=org, actor=setup.user, file_name="bench.csv", data=data)
        mapping = {"phone": 0, "first_name": 1, "last_name": 2, "labels": 3}
        contact_import_start(organization=org, import_id=job.pk, mapping=mapping)
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            outcome = profile.runcall(contact_import_process, import_id=job.pk)
            pstats.Stats(profile).sort_stats("cumtime").print_stats(25)
        else:
            outcome = contact_import_process(import_id=job.pk)
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        result = {
            "rows": rows, "file_mb": round(len(data) / 1e6, 2), "outcome": outcome, "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds), "created": job.created, "updated": job.updated,
            "duplicates": job.duplicates, "errors": job.errors, "target_s": TARGET_S,
            "ok": outcome == "done" and seconds <= TARGET_S * rows / 100_000, "engine": connection.vendor,
        }  # fmt: skip
        connection.close()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"contacts import, {rows:,} rows ({result['engine']}): {result['seconds']} s, {result['rows_per_s']} rows/s; "
        f"{result['created']} created, {result['updated']} updated, {result['duplicates']} duplicates, "
        f"{result['errors']} errors (target ≤ {TARGET_S} s per 100,000 rows: {'ok' if result['ok'] else 'MISSED'})"
    )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
