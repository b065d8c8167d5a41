"""Exceptions with German messages that name file, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One problem in an input file.

    Parameters
    ----------
    message : str
        German, says what was expected.
    row : int or None
        1-based data row (header not counted) or ``None`` for the whole file.
    column : str or None
        Column name, if the problem concerns one column.
    file : str or None
        File name (never a full path from an upload).
    """

    message: str
    row: int | None = None
    column: str | None = None
    file: str | None = None

    def to_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"Datei {self.file}")
        if self.row is not None:
            where.append(f"Zeile {self.row}")
        if self.column:
            where.append(f"Spalte „{self.column}“")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class NahraumError(Exception):
    """Base error: its message is German and meant for the user."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message] + [f"  – {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  … und {len(self.problems) - 20} weitere")
        return "\n".join(lines)


class DataFileError(NahraumError):
    """A raw data file is missing, unreadable or malformed."""


class InputError(NahraumError):
    """A user-supplied file or parameter is invalid."""


class RegionError(NahraumError):
    """A region definition is invalid (unknown key, empty, …)."""


class NetworkError(NahraumError):
    """A road network is missing, empty, disconnected or does not cover the region."""


class CacheError(NahraumError):
    """The cache folder cannot be written or is damaged."""


@dataclass
class Report:
    """Collects problems while validating; raises once at the end if asked."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        file: str | None = None,
    ) -> None:
        self.problems.append(Problem(message, row, column, file))

    def __bool__(self) -> bool:
        return bool(self.problems)
