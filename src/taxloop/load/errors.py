"""The error a load raises when a file of the data set cannot be loaded at all."""

from __future__ import annotations

from pathlib import Path


class LoadError(Exception):
    """A file-level problem (unknown table, wrong header, encoding, empty or corrupt file).

    The message always names the file, and the column or line where relevant. The warehouse is left
    exactly as it was before the load (a load is all-or-nothing per data set).
    """

    def __init__(self, file: Path | str, message: str, *, line: int | None = None, column: str | None = None) -> None:
        self.file = str(file)
        self.line = line
        self.column = column
        self.detail = message
        where = self.file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
