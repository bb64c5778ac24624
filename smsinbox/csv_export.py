"""CSV downloads: cells safe to open in a spreadsheet, and rows streamed a line at a time.

Nothing here holds a whole file: ``csv_stream`` turns an iterator of rows into an iterator of
encoded lines, so a download of any size needs the memory of one row (plus the query's chunk).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# ("CSV injection"); such cells are written with a leading apostrophe, which they show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as text for a CSV cell, with a leading ``'`` when it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose ``write`` returns what was written (``csv.writer`` writes one row per call)."""

    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line (cells guarded by ``csv_cell``), lazily; a UTF-8 BOM first for Excel."""
    writer = csv.writer(_Line())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])
