"""Reading CSV files that come from outside, with errors that name file, row, field."""

import csv
from collections.abc import Iterator
from pathlib import Path


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
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            path,
            f"is not UTF-8 text (byte {exc.start} cannot be read); "
            "save it as UTF-8 CSV and import again",
        ) from exc

    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FileProblem(
            path, "is empty; expected a header row with " + ", ".join(required)
        )

    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise FileProblem(
            path, "missing column " + ", ".join(f"'{m}'" for m in missing)
        )

    reader.fieldnames = header
    for number, row in enumerate(reader, start=2):
        yield number, {key: (value or "").strip() for key, value in row.items() if key}
