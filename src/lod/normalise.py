"""Normalisation of the edition's uncertain dates and years: printed text → bounds → EDTF.

Standard library only: the RML engine runs these (through mappings/functions.py) in its own
environment. Conventions for vague parts of a month (documented in data/README.md):
early = days 1–10, mid = 11–20, late = 21 to the month's end; "later than D" excludes D,
"no earlier than D" includes it (and likewise for the latest bound).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
YEAR = re.compile(r"^(\d{4})(\?)?$")


class DateFormError(ValueError):
    """A printed date this module cannot read; the message quotes it."""


@dataclass(frozen=True)
class Bounds:
    """Earliest and latest possible day; None on an open side."""

    earliest: date | None
    latest: date | None

    def __and__(self, other: Bounds) -> Bounds:
        lo = max((d for d in (self.earliest, other.earliest) if d), default=None)
        hi = min((d for d in (self.latest, other.latest) if d), default=None)
        return Bounds(lo, hi)


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _span(text: str, year_hint: int | None = None) -> Bounds:
    """Bounds of a plain expression: '12 July 1925', 'July 1925', 'Late August', '1932'."""
    words = text.replace(",", " ").split()
    if not words:
        raise DateFormError("empty date")
    year = year_hint
    if words[-1].isdigit() and len(words[-1]) == 4:
        year = int(words.pop())
    if year is None:
        raise DateFormError(f"no year in {text!r}")
    if not words:
        return Bounds(date(year, 1, 1), date(year, 12, 31))
    part = PART_OF_MONTH.get(words[0].lower())
    if part:
        words.pop(0)
    day = int(words.pop(0)) if words and words[0].isdigit() else None
    if len(words) != 1 or words[0].lower() not in MONTHS or (part and day):
        raise DateFormError(f"cannot read {text!r}")
    month = MONTHS[words[0].lower()]
    end = _month_end(year, month)
    if day:
        try:
            d = date(year, month, day)
        except ValueError as err:
            raise DateFormError(f"impossible date {text!r}") from err
        return Bounds(d, d)
    lo, hi = part or (1, end)
    return Bounds(date(year, month, lo), date(year, month, min(hi, end)))


QUALIFIERS = (  # (prefix, which bound it sets, exclusive)
    ("no earlier than ", "earliest", False), ("not earlier than ", "earliest", False),
    ("later than ", "earliest", True), ("after ", "earliest", True),
    ("no later than ", "latest", False), ("not later than ", "latest", False),
    ("earlier than ", "latest", True), ("before ", "latest", True),
)


def _clause(text: str) -> Bounds:
    lowered = text.lower()
    for prefix, side, exclusive in QUALIFIERS:
        if lowered.startswith(prefix):
            span = _span(text[len(prefix):])
            if side == "earliest":
                day = span.latest + timedelta(days=1) if exclusive else span.earliest
                return Bounds(day, None)
            day = span.earliest - timedelta(days=1) if exclusive else span.latest
            return Bounds(None, day)
    if "–" in text or " - " in text:
        first, last = re.split(r"\s*[–-]\s*", text, maxsplit=1)
        end = _span(last)
        return Bounds(_span(first, end.latest.year).earliest, end.latest)
    return _span(text)


def printed_date_bounds(printed: str) -> Bounds:
    """Bounds of an editor's printed date; comma-joined clauses narrow each other."""
    bounds = Bounds(None, None)
    for clause in printed.strip().strip("[]").split(","):
        bounds &= _clause(clause.strip())
    return bounds


def edtf(earliest: str | None, latest: str | None) -> str | None:
    """EDTF for ISO bounds: a day, a whole month or year, else an interval ('..' when open)."""
    if not earliest and not latest:
        return None
    if earliest and latest:
        lo, hi = date.fromisoformat(earliest), date.fromisoformat(latest)
        if lo == hi:
            return earliest
        if lo.day == 1 and hi.day == _month_end(hi.year, hi.month):
            if (lo.year, lo.month) == (hi.year, hi.month):
                return earliest[:7]
            if (lo.month, hi.month, lo.year) == (1, 12, hi.year):
                return earliest[:4]
    return f"{earliest or '..'}/{latest or '..'}"


def certain_year(printed: str | None) -> str | None:
    """The year when the printed value states it without doubt ('1888'), else None."""
    match = YEAR.match((printed or "").strip())
    return match.group(1) if match and not match.group(2) else None


def year_edtf(printed: str | None) -> str | None:
    """EDTF of a printed year: '1888' → '1888', '1937?' → '1937?', '?' → None (unknown)."""
    match = YEAR.match((printed or "").strip())
    return match.group(0) if match else None


def partial_date_bounds(value: str | None) -> tuple[str | None, str | None]:
    """ISO bounds of a 'YYYY' or 'YYYY-MM' value (office start and end)."""
    if not value:
        return None, None
    if re.fullmatch(r"\d{4}", value):
        return f"{value}-01-01", f"{value}-12-31"
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise DateFormError(f"expected YYYY or YYYY-MM, got {value!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return f"{value}-01", f"{value}-{_month_end(year, month):02d}"


def document_label(number: str, kind: str, printed: str | None) -> str:
    """A readable label: 'Letter 1 (12 July 1925)', 'Coded telegram 15 (…)'."""
    name = f"{kind.replace('-', ' ').capitalize()} {number}"
    return f"{name} ({printed})" if printed else name

