"""One scenario's outcome: the five counts of the table, its own figures, and the promises it broke."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    """``sent / stored / duplicated / lost / 5xx`` plus ``notes`` (scenario figures) and ``broken`` promises."""

    key: str
    title: str
    promise: str
    sent: int = 0
    stored: int = 0
    duplicated: int = 0
    lost: int = 0
    http_5xx: int = 0
    seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)
    skipped: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and not self.skipped and self.lost == 0 and self.duplicated == 0 and not self.broken

    @property
    def safe(self) -> bool:
        """Ran (or was skipped) and neither lost nor duplicated a message."""
        return not self.error and self.lost == 0 and self.duplicated == 0

    def line(self) -> str:
        """The one line printed when the scenario ends."""
        if self.skipped:
            return f"{self.key}: skipped ({self.skipped})"
        head = (f"{self.key}: sent {self.sent}, stored {self.stored}, duplicated {self.duplicated}, "
                f"lost {self.lost}, 5xx {self.http_5xx} ({self.seconds:.0f} s)")  # fmt: skip
        if self.error:
            head += f" ERROR {self.error}"
        if self.broken:
            head += " — BROKEN: " + "; ".join(self.broken)
        return head

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def r(value: float | None, digits: int = 2) -> float | None:
    """Round a figure for the report (None stays None)."""
    return None if value is None else round(value, digits)
