"""Reading numbers and dates from outside files, within what the product can hold."""

from datetime import date
from decimal import Decimal, InvalidOperation

# Amounts are stored with 14 digits, 2 after the point.
MAX_AMOUNT = Decimal("999999999999.99")
EARLIEST = date(1970, 1, 1)
LATEST = date(2100, 12, 31)


def parse_amount(text: str, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """A plain non-negative amount such as 1054 or 1054.50; ValueError says what is wrong."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount like 1054 or 1054.50") from None
    if not value.is_finite():
        raise ValueError(f"'{text}' is not an amount like 1054 or 1054.50")
    if value < 0:
        raise ValueError(f"'{text}' is negative")
    if value > maximum:
        raise ValueError(f"'{text}' is larger than {maximum:,}")

    return value.quantize(Decimal("0.01"))


def parse_count(text: str, maximum: int = 2_000_000_000) -> int:
    """A whole number of 0 or more, such as a head count."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a whole number") from None
    if not 0 <= value <= maximum:
        raise ValueError(f"'{text}' is not between 0 and {maximum:,}")

    return value


def parse_iso_date(text: str) -> date:
    """A date written 2017-03-31, between 1970 and 2100."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"'{text}' is not a date like 2017-03-31") from None
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"'{text}' is outside {EARLIEST.year}–{LATEST.year}")

    return value
