"""Reading single values from CRM exports as they really come from the field.

Every parser takes the text of one cell. Empty text (after stripping spaces)
gives None; text that cannot be read raises ValueError with a message for the
sales-ops admin that names the value and says what to do about it. Nothing is
guessed: a date that only makes sense day-first is refused with a hint, not
read day-first.

Ranges (a close date in 1970–2100, a largest amount) are the caller's to check;
these parsers only read what is written.
"""

from __future__ import annotations

import functools
import re
import string
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_money",
    "parse_percent",
    "salesforce_id",
    "salesforce_reference",
]

# Dates and times ------------------------------------------------------------

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
MONTH_NAMES = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# The time of day after a date: 16:14, 6:49:18, 16:14:25.829, 08:55 PM,
# each with an optional zone: Z, UTC, +0000, +00:00, -05.
_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?"
    r"(?:\s*(?P<zone>[Zz]|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?"
)
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    rf"(?:(?:[Tt]|\s+){_TIME})?"
)
# 1/5/2024, 01/05/24, 31.12.2024, 2024/01/22, 05-01-2024 (never ISO: year last).
_NUMERIC = re.compile(
    r"(?P<first>\d{1,4})(?P<sep>[/.-])(?P<second_part>\d{1,2})(?P=sep)(?P<last>\d{1,4})"
    rf"(?:(?:\s+|\s*,\s*|[Tt]){_TIME})?"
)
# 5 Jan 2024, 05-Jan-24, 5 January 2024
_DAY_MONTH = re.compile(
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[\s-]+(?P<name>[A-Za-z]+)\.?[\s,-]+(?P<year>\d{4}|\d{2})"
    rf"(?:(?:\s+|\s*,\s*){_TIME})?"
)
# Jan 5, 2024, January 5 2024
_MONTH_DAY = re.compile(
    r"(?P<name>[A-Za-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4}|\d{2})"
    rf"(?:(?:\s+|\s*,\s*){_TIME})?"
)
_SPREADSHEET_DAY = re.compile(r"\d{5}(?:\.\d+)?")

DATE_EXAMPLES = "2024-01-22, 1/22/2024 or 22 Jan 2024"


def _not_a_date(text: str) -> ValueError:
    if _SPREADSHEET_DAY.fullmatch(text.strip()):
        return ValueError(
            f"'{text}' looks like a spreadsheet day number, not a date; format "
            "the column as a date in the spreadsheet, export again and import that"
        )
    return ValueError(f"'{text}' is not a date like {DATE_EXAMPLES}")


def _full_year(digits: str) -> int:
    """Two-digit years as Python's %y reads them: 00–68 are 2000s, 69–99 1900s."""
    year = int(digits)
    if len(digits) == 2:
        return year + (2000 if year <= 68 else 1900)
    return year


def _make_date(text: str, year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"'{text}' is not a date: there is no month {month}")
    if year < 1:
        raise ValueError(f"'{text}' is not a date: there is no year {year}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a real date: {MONTH_NAMES[month]} {year} has no day {day}"
        ) from None


def _month_from_name(text: str, name: str) -> int:
    month = MONTHS.get(name.casefold())
    if month is None:
        raise ValueError(
            f"'{text}' is not a date: '{name}' is not an English month name "
            "such as Jan or January"
        )
    return month


def _numeric_date(text: str, match: re.Match[str], day_first: bool) -> date:
    first, middle, last = match["first"], match["second_part"], match["last"]
    if len(first) == 4:  # 2024/01/22 or 2024.01.22: year first, always Y/M/D
        if len(last) > 2:
            raise _not_a_date(text)
        return _make_date(text, int(first), int(middle), int(last))
    if len(first) > 2 or len(last) not in (2, 4):
        raise _not_a_date(text)
    year = _full_year(last)
    a, b = int(first), int(middle)
    if match["sep"] == ".":  # 31.12.2024 is written day-first everywhere
        return _make_date(text, year, b, a)
    if day_first:
        if 12 < b <= 31 and a <= 12:
            _make_date(text, year, a, b)  # not a date month-first either: say so
            raise ValueError(
                f"'{text}' has {b} where the month should be, so this file seems "
                "to write the month first (month/day/year). Import it again with "
                '"day first" switched off (without --day-first).'
            )
        return _make_date(text, year, b, a)
    if 12 < a <= 31 and b <= 12:
        _make_date(text, year, b, a)  # not a date day-first either: say so
        raise ValueError(
            f"'{text}' has {a} where the month should be, so this file seems to "
            "write the day first (day/month/year). Import it again with "
            '"day first" switched on (--day-first).'
        )
    return _make_date(text, year, a, b)


def _read(text: str, day_first: bool) -> tuple[date, re.Match[str] | None] | None:
    """The date as written and the match holding its time of day, if any."""
    value = text.strip()
    if not value:
        return None
    if match := _ISO.fullmatch(value):
        day = _make_date(
            text, int(match["year"]), int(match["month"]), int(match["day"])
        )
    elif match := _NUMERIC.fullmatch(value):
        day = _numeric_date(text, match, day_first)
    elif match := _DAY_MONTH.fullmatch(value):
        month = _month_from_name(text, match["name"])
        day = _make_date(text, _full_year(match["year"]), month, int(match["day"]))
    elif match := _MONTH_DAY.fullmatch(value):
        month = _month_from_name(text, match["name"])
        day = _make_date(text, _full_year(match["year"]), month, int(match["day"]))
    else:
        raise _not_a_date(text)
    if match["hour"] is None:
        return day, None
    return day, match


def _time_of_day(text: str, match: re.Match[str]) -> tuple[time, tzinfo | None]:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    if ampm := match["ampm"]:
        if not 1 <= hour <= 12:
            raise ValueError(
                f"'{text}' is not a time: {hour} is not an hour on a 12-hour "
                "clock (AM/PM hours run 1 to 12)"
            )
        afternoon = ampm[0] in "Pp"
        hour = hour % 12 + (12 if afternoon else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(
            f"'{text}' is not a real time of day; write times like 16:14:25 or 4:14 PM"
        )
    return time(hour, minute, second, micro), _zone(text, match["zone"])


def _zone(text: str, written: str | None) -> tzinfo | None:
    if written is None:
        return None
    if written in ("Z", "z", "UTC", "GMT"):
        return UTC
    digits = written[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(
            f"'{text}' has a time zone offset {written} that does not exist"
        )
    offset = timedelta(hours=hours, minutes=minutes)
    if not offset:
        return UTC
    return timezone(-offset if written[0] == "-" else offset)


# The form nearly every export writes, which the standard library reads far
# faster than the general parser: 2024-01-22, 2024-01-22T16:14:25.000Z,
# 2024-01-22 16:14:25+00:00. Anything else, or anything the fast reader finds
# wrong, goes the general way, which gives the message.
_PLAIN_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_ISO_MOMENT = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{3}|\.\d{6})?"
    r"(?:Z|[+-](?:0\d|1[0-4]):?[0-5]\d)?"
)


def parse_date(text: str, *, day_first: bool = False) -> date | None:
    """A calendar date: 2024-01-22, 1/22/2024, 1/22/24, 31.12.2024, 22 Jan 2024.

    Slash and dash dates are month first (US) unless day_first is set; dotted
    dates are always day first. Two-digit years 00–68 are 2000–2068, 69–99 are
    1969–1999. A date-time gives its date as written, in its own zone, with no
    conversion: 2024-01-22T23:30:00-0800 is 22 January.
    """
    if _PLAIN_ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # 2024-02-30: the general parser says why
    return _general_date(text, day_first)


def _general_date(text: str, day_first: bool) -> date | None:
    found = _read(text, day_first)
    if found is None:
        return None
    day, clock = found
    if clock is not None:
        _time_of_day(text, clock)  # a date-time with a broken time is refused too
    return day


def parse_datetime(
    text: str, *, day_first: bool = False, zone: tzinfo
) -> datetime | None:
    """A moment in time, always with a zone.

    Reads ISO date-times (2024-01-22T16:14:25.000+0000, ...Z, ...+00:00,
    2023-03-01 6:49:18, fractions of up to 9 digits, kept to the microsecond),
    report style 02/23/26 08:55 PM, and a bare date (midnight). A written zone
    or offset is kept; a time without one is taken in `zone`. In a zone with
    daylight saving, a clock time that happens twice is taken the first time,
    and one the clock skips is kept as written (zoneinfo's rule, fold=0).
    """
    if len(text) >= 19 and text[10] in "T " and _PLAIN_ISO_MOMENT.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass  # 2024-01-22T25:00:00: the general parser says why
        else:
            offset = moment.utcoffset()
            if offset is None:
                return moment.replace(tzinfo=zone)
            return moment.replace(tzinfo=UTC) if not offset else moment
    return _general_datetime(text, day_first, zone)


def _general_datetime(text: str, day_first: bool, zone: tzinfo) -> datetime | None:
    found = _read(text, day_first)
    if found is None:
        return None
    day, clock = found
    if clock is None:
        return datetime.combine(day, time(0), tzinfo=zone)
    moment, written_zone = _time_of_day(text, clock)
    return datetime.combine(day, moment, tzinfo=written_zone or zone)


# Yes and no -------------------------------------------------------------------

TRUE_WORDS = frozenset({"1", "true", "yes", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "n"})


def parse_bool(text: str) -> bool | None:
    """1/0, true/false, yes/no, y/n in any case."""
    value = text.strip().casefold()
    if not value:
        return None
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(
        f"'{text}' is not a yes or no; write true/false, yes/no or 1/0 "
        "(or leave it empty)"
    )


# Percentages ------------------------------------------------------------------

_PERCENT = re.compile(r"(?P<minus>-?)\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*%?")


def parse_percent(text: str) -> Decimal | None:
    """A percentage 0–100 as Salesforce writes it: 75, 75%, 12.5.

    The number is the percentage itself: 0.75 is three quarters of one
    percent, not 75 %. (HubSpot stage probabilities are fractions 0.0–1.0;
    multiply those by 100 before calling this.)
    """
    value = text.strip()
    if not value:
        return None
    match = _PERCENT.fullmatch(value)
    if match is None:
        raise ValueError(f"'{text}' is not a percentage like 75 or 75%")
    number = Decimal(match["number"])
    if match["minus"] and number:
        raise ValueError(
            f"'{text}' is below 0 percent; a probability runs from 0 to 100. "
            "Correct it in the CRM, export again and import that"
        )
    if number > 100:
        raise ValueError(
            f"'{text}' is more than 100 percent; a probability runs from 0 to 100. "
            "Correct it in the CRM, export again and import that"
        )
    return number


# Money ------------------------------------------------------------------------

# ISO 4217 codes in use, plus a few recently replaced ones old exports still hold.
CURRENCY_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK
    HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()
)
DOLLARS = ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD")
# A symbol stands for the first currency listed, or for the default currency
# when that is one of the others ("$" in a Canadian org's export is CAD).
SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": DOLLARS,
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "SG$": ("SGD",),
    "MX$": ("MXN",),
    "R$": ("BRL",),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "₹": ("INR",),
    "₩": ("KRW",),
    "₪": ("ILS",),
    "₺": ("TRY",),
    "₱": ("PHP",),
    "₫": ("VND",),
    "฿": ("THB",),
    "₽": ("RUB",),
    "₴": ("UAH",),
    "₦": ("NGN",),
    "zł": ("PLN",),
    "Kč": ("CZK",),
}
MINUS_SIGNS = "-\u2212"
# Spaces and apostrophes only ever group thousands: 1 234,50 · 1'234.50.
GROUP_MARKS = " \u00a0\u202f'\u2019"

# Before and after the number: spaces, signs, brackets, symbols, codes.
_AFFIX = re.compile(
    r"(?P<space>\s+)|(?P<bracket>[()])|(?P<sign>[+\-\u2212])"
    r"|(?P<word>[^\W\d_]+\$?)|(?P<symbol>[^\w\s])"
)
_AMOUNT = re.compile(
    r"(?P<lead>[^\d.,]*?)"
    r"(?P<number>\d(?:[\d.,'\u2019\s]*\d)?|[.,]\d+)"
    r"(?P<trail>[^\d]*)"
)
# 83000.00 or 1200: no symbol, sign or grouping, a point for decimals.
_PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d+)?")
# 1.234 is one thousand two hundred and thirty-four where dots group
# thousands, and one and a bit where they mark decimals: never guessed.
_DOT_GROUP_OR_DECIMAL = re.compile(r"[1-9]\d{0,2}\.\d{3}")
_SCIENTIFIC = re.compile(r"[-+]?\d+(?:[.,]\d+)?[eE][-+]?\d+")
# More digits than any amount coachbook keeps; refused before rounding.
_MOST_DIGITS = 20
CENT = Decimal("0.01")
AMOUNT_EXAMPLES = "1234.50, $1,234.50, EUR 1.234,50 or (1,234.00)"


def parse_money(
    text: str, *, default_currency: str, decimal_comma: bool = False
) -> tuple[Decimal, str] | None:
    """An amount and its currency: $1,234.50 · 1.234,50 € · USD 1,234 · (99.00).

    The currency comes from a symbol or an ISO code before or after the
    number, else it is default_currency. Brackets or a minus sign make the
    amount negative. The amount is rounded half-up to cents.

    Separators: with both '.' and ',' the last one is the decimal separator.
    A lone ',' before exactly three digits groups thousands unless
    decimal_comma is set; before one or two digits it is a decimal comma. With
    decimal_comma set, a lone '.' before exactly three digits groups thousands
    (1.234 is 1234); without it, one to three digits, a dot and three digits
    (1.234) is refused as ambiguous. Spaces and apostrophes always group
    thousands.
    """
    value = text.strip()
    if not value:
        return None
    if len(value) > _MOST_DIGITS and sum(ch.isdigit() for ch in value) > _MOST_DIGITS:
        raise ValueError(
            f"'{text}' is not an amount coachbook can keep: it has more than "
            f"{_MOST_DIGITS} digits"
        )
    if (
        not decimal_comma
        and _PLAIN_AMOUNT.fullmatch(value)
        and not _DOT_GROUP_OR_DECIMAL.fullmatch(value)
    ):
        return (
            Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP),
            default_currency.strip().upper(),
        )
    return _general_money(text, value, default_currency, decimal_comma)


def _general_money(
    text: str, value: str, default_currency: str, decimal_comma: bool
) -> tuple[Decimal, str]:
    if _SCIENTIFIC.fullmatch(value):
        raise ValueError(
            f"'{text}' is written in scientific notation, as a spreadsheet shows "
            "large numbers; format the column as a number with no exponent, "
            "export again and import that"
        )
    match = _AMOUNT.fullmatch(value)
    if match is None:
        if not any(ch.isdigit() for ch in value):
            raise ValueError(f"'{text}' is not an amount: it has no number in it")
        raise ValueError(
            f"'{text}' is not an amount; write amounts like {AMOUNT_EXAMPLES}"
        )

    candidates: list[tuple[str, tuple[str, ...]]] = []
    brackets = ""
    minus = 0
    for part in (match["lead"], match["trail"]):
        for token in _AFFIX.finditer(part):
            if token["bracket"]:
                brackets += token["bracket"]
            elif token["sign"]:
                minus += token["sign"] in MINUS_SIGNS
            elif token["word"] or token["symbol"]:
                written = token.group()
                candidates.append((written, _currencies(text, written)))
    if brackets not in ("", "()") or (brackets and match["lead"].count("(") != 1):
        raise ValueError(
            f"'{text}' has unmatched brackets; write a negative amount as "
            "(1,234.00) or -1234"
        )
    if minus > 1 or (minus and brackets):
        raise ValueError(
            f"'{text}' is marked negative twice; write a negative amount as "
            "(1,234.00) or -1234"
        )

    currency = _pick_currency(text, candidates, default_currency.strip().upper())
    amount = _number(text, match["number"], decimal_comma)
    if minus or brackets:
        amount = -amount
    return amount.quantize(CENT, rounding=ROUND_HALF_UP), currency


def _currencies(text: str, written: str) -> tuple[str, ...]:
    if written in SYMBOLS:
        return SYMBOLS[written]
    if written.upper() in CURRENCY_CODES:
        return (written.upper(),)
    if written[-1:] == "$":
        raise ValueError(
            f"'{text}' is not an amount: '{written}' is not a currency symbol "
            "we know; write the three-letter currency code instead, such as USD"
        )
    if not written[0].isalpha():
        raise ValueError(
            f"'{text}' is not an amount: '{written}' does not belong in one; "
            f"write amounts like {AMOUNT_EXAMPLES}"
        )
    raise ValueError(
        f"'{text}' is not an amount: '{written}' is not a currency code; write "
        f"amounts like {AMOUNT_EXAMPLES}, with a three-letter code such as USD "
        "or EUR if needed"
    )


def _pick_currency(
    text: str, candidates: list[tuple[str, tuple[str, ...]]], default: str
) -> str:
    if not candidates:
        return default
    common = set(candidates[0][1])
    for written, codes in candidates[1:]:
        if not common & set(codes):
            raise ValueError(
                f"'{text}' names two currencies ('{candidates[0][0]}' and "
                f"'{written}'); an amount can have only one"
            )
        common &= set(codes)
    # The order of the first candidate decides, except that the default
    # currency wins when the symbol can stand for it.
    if default in common:
        return default
    return next(code for code in candidates[0][1] if code in common)


def _number(text: str, number: str, decimal_comma: bool) -> Decimal:
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal = "." if number.rfind(".") > number.rfind(",") else ","
    elif commas:
        decimal = _lone_separator(text, number, ",", not decimal_comma)
    elif dots:
        decimal = _lone_separator(text, number, ".", decimal_comma)
    else:
        decimal = ""
    if decimal and number.count(decimal) > 1:
        raise ValueError(
            f"'{text}' has two decimal separators ('{decimal}' twice); write "
            "amounts like 1,234.50 or 1.234,50"
        )
    whole, _, fraction = number.partition(decimal) if decimal else (number, "", "")
    if not fraction.isdigit() and decimal:
        raise ValueError(
            f"'{text}' is not an amount; write amounts like {AMOUNT_EXAMPLES}"
        )
    digits = _ungroup(text, whole)
    return Decimal(f"{digits or '0'}.{fraction or '0'}")


def _lone_separator(text: str, number: str, mark: str, groups_thousands: bool) -> str:
    """Whether '.' or ',' (the only kind of mark in the number) is the decimal one."""
    if number.count(mark) > 1:
        # 1,234,567 groups thousands; 1.234.567 does only with decimal_comma,
        # otherwise it has two decimal points and is refused.
        return "" if groups_thousands else mark
    after = len(number) - number.index(mark) - 1
    if after == 3 and groups_thousands:
        return ""
    if mark == "." and _DOT_GROUP_OR_DECIMAL.fullmatch(number):
        whole, fraction = number.split(".")
        raise ValueError(
            f"'{text}' could be {whole}{fraction} (with '.' grouping thousands) or "
            f"{whole}.{fraction}; write amounts with their cents (1234.00), or, if "
            "this file writes 1.234,50, set decimal_comma = true under [options] "
            "in a mapping file"
        )
    if mark == "," and after > 3 and groups_thousands:
        raise ValueError(
            f"'{text}': cannot tell whether ',' separates thousands or decimals; "
            "write it like 1234.5, or import with decimal comma switched on if "
            "this file writes 1234,5"
        )
    return mark


def _ungroup(text: str, whole: str) -> str:
    """The digits of the whole part, after checking its thousands groups."""
    if whole.isdigit() or not whole:
        return whole
    marks = {ch for ch in whole if not ch.isdigit()}
    kinds = {
        "space" if ch.isspace() else "'" if ch in "'\u2019" else ch for ch in marks
    }
    groups = re.split(r"\D+", whole)
    if len(kinds) > 1 or any(len(sep) > 1 for sep in re.findall(r"\D+", whole)):
        raise ValueError(
            f"'{text}' mixes different thousands separators; write amounts like "
            "1,234,567.89"
        )
    head, tail = groups[0], groups[1:]
    western = 1 <= len(head) <= 3 and all(len(g) == 3 for g in tail)
    # Indian grouping: 12,34,567.00 (lakh and crore).
    indian = (
        1 <= len(head) <= 2
        and len(tail[-1]) == 3
        and all(len(g) == 2 for g in tail[:-1])
    )
    if not (western or indian):
        mark = next(iter(marks))
        shown = "space" if mark.isspace() else f"'{mark}'"
        raise ValueError(
            f"'{text}' has its digits grouped oddly around the {shown}; write "
            "amounts like 1,234,567.89 or 1234567.89"
        )
    return "".join(groups)


# Salesforce record ids --------------------------------------------------------

_ID_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


# Upper-case letters to "1", lower-case letters and digits to "0".
_CASE_BITS = str.maketrans(
    {
        **dict.fromkeys(map(ord, string.ascii_uppercase), "1"),
        **dict.fromkeys(map(ord, string.ascii_lowercase + string.digits), "0"),
    }
)


# Each chunk's five case bits, as translate() writes them ("01001"), to its
# suffix letter. The bits read backwards are the letter's number in binary.
_SUFFIX_OF_BITS = {
    bits: _ID_SUFFIX_CHARS[int(bits[::-1], 2)]
    for bits in (format(n, "05b") for n in range(32))
}


def _id_suffix(id15: str) -> str:
    """Salesforce's case-safe suffix: one letter per 5 characters.

    In each chunk, bit i is set when character i is an upper-case A–Z; the
    5-bit number picks a character from A–Z then 0–5.
    """
    bits = id15.translate(_CASE_BITS)
    return (
        _SUFFIX_OF_BITS[bits[:5]]
        + _SUFFIX_OF_BITS[bits[5:10]]
        + _SUFFIX_OF_BITS[bits[10:15]]
    )


def salesforce_id(text: str) -> str:
    """The 18-character case-safe form of a 15- or 18-character Salesforce id.

    An empty value is an error here: a caller that allows an empty reference
    checks for it first.
    """
    value = text.strip()
    if not value:
        raise ValueError("no Salesforce id was given; the value is empty")
    if not (value.isascii() and value.isalnum()):
        raise ValueError(
            f"'{text}' is not a Salesforce id: an id has only letters and digits"
        )
    if len(value) not in (15, 18):
        raise ValueError(
            f"'{text}' is not a Salesforce id: an id has 15 or 18 characters, "
            f"this has {len(value)}"
        )
    expected = _id_suffix(value[:15])
    if len(value) == 18 and value[15:] != expected:
        raise ValueError(
            f"'{text}' is not a valid Salesforce id: its last three characters "
            f"should be {expected}. The id may have been changed, for example "
            "put in upper or lower case by a spreadsheet; export it again from "
            "Salesforce"
        )
    return value[:15] + expected


# The same, remembering recent answers: for the ids a file names again and
# again (owners, accounts, deals), not for each row's own id, which would
# only push the others out.
salesforce_reference = functools.lru_cache(maxsize=1 << 18)(salesforce_id)
