"""What every tax data file under ``tt_tax/data`` shares: comment lines, a fixed header,
and loud failure listing every problem found as ``(file:line, message)``."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from importlib.resources.abc import Traversable
from typing import Generic, TypeVar

import attrs

from tt_tax.errors import RateTableError
from tt_tax.states import USPS_STATE_CODES

__all__ = ["Located", "Problems", "Row", "parse_rows", "read_rows", "state_code"]

Row = Mapping[str, str]
_T = TypeVar("_T")


@attrs.frozen(kw_only=True)
class Located(Generic[_T]):
    """A parsed row and where it came from, for error messages."""

    where: str
    state: str
    value: _T


class Problems:
    """The problems found in a set of files; raised together as one ``RateTableError``."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.found.append((where, message))

    def raise_if_any(self, what: str) -> None:
        """Raise ``RateTableError`` naming ``what`` was read, if any problem was found."""
        if self.found:
            listing = "; ".join(f"{where}: {message}" for where, message in self.found)
            raise RateTableError(f"invalid {what}: {listing}", details=self.found)


def read_rows(
    file: Traversable, columns: Sequence[str], problems: Problems
) -> list[tuple[str, Row]]:
    """The rows of ``file`` under its header, which must be ``columns``, each with its
    ``file:line``; lines starting with ``#`` are comments. Problems go to ``problems``."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(file.name, f"cannot be read: {exc}")
        return []
    numbered = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        problems.add(file.name, "is empty")
        return []
    header_number, header_line = numbered[0]
    header = tuple(field.strip() for field in _split_csv_line(header_line))
    if header != tuple(columns):
        problems.add(
            f"{file.name}:{header_number}", f"header must be {','.join(columns)}, not {header_line}"
        )
        return []
    rows: list[tuple[str, Row]] = []
    for number, line in numbered[1:]:
        where = f"{file.name}:{number}"
        fields = _split_csv_line(line)
        if len(fields) != len(columns):
            problems.add(where, f"has {len(fields)} fields, expected {len(columns)}")
            continue
        rows.append((where, dict(zip(columns, (field.strip() for field in fields), strict=True))))
    if not rows:
        problems.add(file.name, "has no rows")
    return rows


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line]))


def state_code(text: str) -> str:
    """``text`` if it is an upper-case USPS state code; else ``ValueError``."""
    if text not in USPS_STATE_CODES:
        raise ValueError(f"state {text!r} is not an upper-case USPS state code")
    return text


def parse_rows(
    file: Traversable,
    columns: Sequence[str],
    parse: Callable[[Row], tuple[str, _T]],
    problems: Problems,
) -> list[Located[_T]]:
    """Every row of ``file`` that ``parse`` accepts, with its state and ``file:line``;
    the ``ValueError``/``TypeError`` of each row it refuses goes to ``problems``."""
    parsed: list[Located[_T]] = []
    for where, row in read_rows(file, columns, problems):
        try:
            state, value = parse(row)
        except (ValueError, TypeError) as exc:
            problems.add(where, str(exc))
        else:
            parsed.append(Located(where=where, state=state, value=value))
    return parsed
