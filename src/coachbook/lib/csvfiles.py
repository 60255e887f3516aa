"""Reading CSV files that come from outside, with errors that name file, row, field."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

# Key under which a row carries a problem with its shape rather than a value.
EXTRA = "(row)"


class FileProblem(Exception):
    """A file cannot be read at all: missing, unreadable, or missing a column."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path.name}: {message}")


def read_rows(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) for each data row; row 1 is the header.

    The whole file is decoded as UTF-8 first, so a wrongly encoded file stops
    before any row is used. Values are stripped of surrounding spaces.
    """
    if not path.exists():
        raise FileProblem(path, f"file not found at {path}")
    if not path.is_file():
        raise FileProblem(path, f"{path} is a folder, not a CSV file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            path,
            f"is not UTF-8 text (byte {exc.start} cannot be read); "
            "save it as UTF-8 CSV and import again",
        ) from exc

    if not text.strip() or not text.lstrip("\ufeff").splitlines()[0].strip():
        raise FileProblem(
            path, "is empty; expected a header row with " + ", ".join(required)
        )

    # Only CR and LF end a row; form feeds or line separators inside a value do not.
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader)]
    header[0] = header[0].lstrip("\ufeff").strip()
    missing = [name for name in required if name not in header]
    if missing:
        raise FileProblem(
            path, "missing column " + ", ".join(f"'{m}'" for m in missing)
        )

    # A row's number is the one a spreadsheet shows it on: the header is row
    # 1, a record is one row however many lines it spans, a blank line is a
    # row (and skipped).
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        values = {
            key: value.strip() for key, value in zip(header, row, strict=False) if key
        }
        values.update({key: "" for key in header[len(row) :] if key})
        extra = row[len(header) :]
        if extra:
            values[EXTRA] = f"has {len(extra)} more values than the header has columns"
        yield number, values


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is kept as text instead.

    A leading apostrophe makes Excel, LibreOffice and Google Sheets show the
    value as typed; numbers pass through untouched.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(out, header: list[str], rows) -> None:
    """Write a CSV export with every text cell made safe to open in a spreadsheet."""
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
