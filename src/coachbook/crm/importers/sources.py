"""Where an import's rows come from: a folder of export files, or a live connector."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from coachbook.crm.importers.layouts import Layout
from coachbook.lib.tables import open_table


class FolderSource:
    """A folder of CSV exports, one file per CRM object, found by the layout's file names."""

    def __init__(self, folder: Path, layout: Layout) -> None:
        self.folder = folder
        self.layout = layout
        self.label = str(folder)
        self._digest = hashlib.sha256()
        self.tables: dict[str, object] = {}

    def path(self, obj: str) -> Path | None:
        wanted = {name.casefold() for name in self.layout.objects[obj].files}
        for candidate in sorted(self.folder.iterdir()):
            if candidate.is_file() and candidate.name.casefold() in wanted:
                return candidate
        return None

    def file_name(self, obj: str) -> str:
        path = self.path(obj)
        return path.name if path else self.layout.objects[obj].files[0]

    def unused_files(self) -> list[str]:
        """Data files (.csv, .tsv, .txt) in the folder that the layout does not read."""
        known = {
            name.casefold()
            for spec in self.layout.objects.values()
            for name in spec.files
        }
        return sorted(
            path.name
            for path in self.folder.iterdir()
            if path.is_file()
            and path.suffix.lower() in (".csv", ".tsv", ".txt")
            and path.name.casefold() not in known
        )

    def objects(self) -> list[str]:
        return [obj for obj in self.layout.objects if self.path(obj) is not None]

    def header(self, obj: str) -> list[str]:
        path = self.path(obj)
        if path is None:
            return []
        with open_table(path) as table:
            return list(table.header)

    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None:
        path = self.path(obj)
        if path is None:
            return None
        return self._rows(obj, path)

    def _rows(self, obj: str, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
        with open(path, "rb") as raw:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                self._digest.update(chunk)
        with open_table(path) as table:
            self.tables[obj] = table
            yield from table

    def checksum(self) -> str:
        return self._digest.hexdigest()
