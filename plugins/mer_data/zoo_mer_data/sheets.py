"""Label spreadsheets read by column name, not position (openpyxl, read-only).

MER label files differ between releases: spacer columns, a preamble of rows before the header,
headers with stray spaces or capitals. :func:`read_table` finds the header row by the names it
needs and returns each data row as a dict keyed by the caller's canonical names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from zoo.sdk import InputError

#: Rows searched for the header (SAMM has a preamble of a dozen rows).
HEADER_SCAN_ROWS = 40


def normalise_header(text: Any) -> str:
    """Compare headers case-, space- and underscore-insensitively (``" Onset  Frame"`` → ``"onset frame"``)."""
    return re.sub(r"[\s_]+", " ", str(text or "")).strip().lower()


def _find_header(rows: list[tuple], wanted: Mapping[str, Sequence[str]]) -> Iterator[tuple[int, dict[str, int]]]:
    """Yield ``(row index, {key: column})`` for every row naming at least one wanted header."""
    for number, row in enumerate(rows):
        names = {normalise_header(cell): col for col, cell in enumerate(row) if cell is not None}
        found = {}
        for key, spellings in wanted.items():
            hit = next((names[normalise_header(s)] for s in spellings if normalise_header(s) in names), None)
            if hit is not None:
                found[key] = hit
        if found:
            yield number, found


def read_table(
    path: str | Path,
    columns: Mapping[str, Sequence[str]],
    optional: Mapping[str, Sequence[str]] | None = None,
    sheet: str | None = None,
) -> list[dict[str, Any]]:
    """Read the rows of a label sheet as dicts keyed by canonical column names.

    Args:
        path: the ``.xlsx`` file.
        columns: canonical name → accepted header spellings, all required.
        optional: the same for columns that may be absent (missing → ``None`` in every row).
        sheet: the worksheet name (case-insensitive); ``None`` = the first sheet.

    Returns:
        One dict per non-empty data row, with ``"_row"`` = the 1-based spreadsheet row number.

    Raises:
        InputError: if the file or sheet is missing, or no row holds every required header.
    """
    import openpyxl

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Label file {path} does not exist.")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise InputError(f"Label file {path} is not a readable .xlsx workbook: {exc}") from None
    try:
        names = {n.lower(): n for n in book.sheetnames}
        if sheet is not None and sheet.lower() not in names:
            raise InputError(f"{path} has no sheet {sheet!r}; it has {book.sheetnames}.")
        worksheet = book[names[sheet.lower()]] if sheet is not None else book.worksheets[0]
        rows = list(worksheet.iter_rows(values_only=True))
    finally:
        book.close()
    wanted = {**columns, **(optional or {})}
    header_at, positions = _pick_header(rows, columns, wanted, path)
    out = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        record = {key: (row[col] if col < len(row) else None) for key, col in positions.items()}
        record.update({key: None for key in wanted if key not in positions})
        record["_row"] = number
        out.append(record)
    return out


def _pick_header(rows: list[tuple], required: Mapping[str, Sequence[str]], wanted: Mapping[str, Sequence[str]],
                 path: Path) -> tuple[int, dict[str, int]]:
    for number, found in _find_header(rows[:HEADER_SCAN_ROWS], wanted):
        if all(key in found for key in required):
            return number, found
    first = [c for c in (rows[0] if rows else ()) if c is not None]
    need = ", ".join(spellings[0] for spellings in required.values())
    raise InputError(f"{path}: no header row with the columns {need} in the first {HEADER_SCAN_ROWS} rows "
                     f"(first row holds {first}). Is this the right label file?")
