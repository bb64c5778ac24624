"""``python -m tests.reliability [--inbound 2000 --copies 3 --outbound 1000 --threads 8 --seed 0]``.

One retry storm against the configured, migrated database (``DJANGO_SETTINGS_MODULE``, default
``tests.settings``; ``DATABASE_URL`` / ``REDIS_URL`` as for the app). Prints the figures; exits 1
when any check failed.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> int:
    """Set Django up, run one storm, print its figures and problems."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability", description="One retry storm.")
    parser.add_argument("--inbound", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--outbound", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from tests.reliability.storm import run_storm

    result = run_storm(
        inbound=args.inbound,
        copies=args.copies,
        outbound=args.outbound,
        threads=args.threads,
        seed=args.seed,
        progress=print,
    )
    for problem in result.problems:
        print("  ", problem)
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
