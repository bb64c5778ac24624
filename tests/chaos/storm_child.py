"""Child of the storm hook: set Django up from the environment, run ``run_storm``, write its figures as JSON.

python -m tests.chaos.storm_child --out FILE [--inbound N --copies N --outbound N --threads N]
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    for name, default in (("inbound", 2000), ("copies", 3), ("outbound", 1000), ("threads", 8)):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    import django

    django.setup()
    from tests.reliability.storm import run_storm

    wanted = {"inbound": args.inbound, "copies": args.copies, "outbound": args.outbound, "threads": args.threads,
              "progress": lambda text: print(text, flush=True)}  # fmt: skip
    accepted = inspect.signature(run_storm).parameters
    result = run_storm(**{k: v for k, v in wanted.items() if k in accepted})
    figures = dataclasses.asdict(result) if dataclasses.is_dataclass(result) else dict(result)
    figures["ok"] = bool(getattr(result, "ok", True))
    Path(args.out).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
