"""Fiscal quarters, which follow the organisation's fiscal year, not the calendar."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Quarter:
    """One fiscal quarter.

    A fiscal year is named after the calendar year it ends in, so with a
    February start, 1 Feb 2017 – 31 Jan 2018 is FY2018.
    """

    fiscal_year: int
    number: int
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} Q{self.number}"

    @property
    def key(self) -> str:
        return f"FY{self.fiscal_year}-Q{self.number}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self, start_month: int) -> "Quarter":
        return quarter_of(self.end + timedelta(days=1), start_month)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def quarter_of(day: date, start_month: int = 1) -> Quarter:
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal year start month must be 1-12, not {start_month}")

    months_in = (day.month - start_month) % 12
    fy_start_year = day.year if day.month >= start_month else day.year - 1
    fiscal_year = fy_start_year if start_month == 1 else fy_start_year + 1
    number = months_in // 3 + 1

    start_year, start_mon = _add_months(fy_start_year, start_month, (number - 1) * 3)
    end_year, end_mon = _add_months(start_year, start_mon, 3)
    start = date(start_year, start_mon, 1)
    end = date(end_year, end_mon, 1) - timedelta(days=1)

    return Quarter(fiscal_year, number, start, end)


def parse_quarter_key(key: str, start_month: int = 1) -> Quarter:
    """Read "FY2017-Q3" (or "FY2017 Q3") back into a Quarter."""
    text = key.strip().upper().replace(" ", "-")
    try:
        fy_part, q_part = text.split("-")
        if not fy_part.startswith("FY"):
            raise ValueError
        fiscal_year = int(fy_part.removeprefix("FY"))
        number = int(q_part.removeprefix("Q"))
    except ValueError as exc:
        raise ValueError(f"'{key}' is not a quarter like FY2017-Q3") from exc
    if not 1900 <= fiscal_year <= 2999:
        raise ValueError(f"'{key}': write the fiscal year in full, like FY2017-Q3")
    if not 1 <= number <= 4:
        raise ValueError(f"'{key}': quarter must be Q1 to Q4")

    fy_start_year = fiscal_year if start_month == 1 else fiscal_year - 1
    year, month = _add_months(fy_start_year, start_month, (number - 1) * 3)

    return quarter_of(date(year, month, 1), start_month)
