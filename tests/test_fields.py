"""Value parsers (lib/fields.py) against values as CRM exports write them.

Every expected value is worked out by hand and written here; none comes from
running the code under test. The files under fixtures/field_conditions hold
one condition each and are read with open_table, as an import reads them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coachbook.lib.fields import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_money,
    parse_percent,
    salesforce_id,
)
from coachbook.lib.tables import open_table
from samples import SAMPLES, sample

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "field_conditions"
SHARED_DATA = SAMPLES
NEW_YORK = ZoneInfo("America/New_York")


def column(name: str, col: str) -> list[tuple[int, str]]:
    """(line, value) of one column of a fixture file, read as an import reads it."""
    with open_table(FIXTURES / name, required=[col]) as table:
        return [(line, row[col]) for line, row in table]


def outcome(parse, text: str, **options):
    """The parsed value, or the error message for a refused one."""
    try:
        return parse(text, **options)
    except ValueError as exc:
        return ("refused", str(exc))


# Dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-22", date(2024, 1, 22)),
        ("  2024-01-22  ", date(2024, 1, 22)),
        ("2024-01-22T16:14:25.000+0000", date(2024, 1, 22)),
        ("2024-01-22 16:14:25.829", date(2024, 1, 22)),
        # The date as written in its own zone: no conversion to UTC.
        ("2024-01-22T23:30:00-08:00", date(2024, 1, 22)),
        ("2024-01-22T00:30:00+0900", date(2024, 1, 22)),
        ("1/5/2024", date(2024, 1, 5)),
        ("01/05/2024", date(2024, 1, 5)),
        ("1/5/24", date(2024, 1, 5)),
        ("02/03/24", date(2024, 2, 3)),
        ("1-5-2024", date(2024, 1, 5)),
        ("31.12.2024", date(2024, 12, 31)),
        ("31.12.24", date(2024, 12, 31)),
        ("2024/01/22", date(2024, 1, 22)),
        ("5 Jan 2024", date(2024, 1, 5)),
        ("05-Jan-24", date(2024, 1, 5)),
        ("5 September 2024", date(2024, 9, 5)),
        ("Jan 5, 2024", date(2024, 1, 5)),
        ("January 5 2024", date(2024, 1, 5)),
        ("Sept 30, 2024", date(2024, 9, 30)),
        ("02/23/26 08:55 PM", date(2026, 2, 23)),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_date_reads(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [("00", 2000), ("24", 2024), ("68", 2068), ("69", 1969), ("99", 1999)],
)
def test_two_digit_years_follow_pythons_percent_y(written, expected):
    assert parse_date(f"6/15/{written}") == date(expected, 6, 15)


def test_day_first_reads_slash_dates_day_month_year():
    assert parse_date("25/12/2024", day_first=True) == date(2024, 12, 25)
    assert parse_date("01/02/2024", day_first=True) == date(2024, 2, 1)
    assert parse_date("1/2/24", day_first=True) == date(2024, 2, 1)
    # ISO, dotted and month-name dates do not depend on the setting.
    assert parse_date("2024-01-02", day_first=True) == date(2024, 1, 2)
    assert parse_date("01.02.2024", day_first=False) == date(2024, 2, 1)
    assert parse_date("Jan 2, 2024", day_first=True) == date(2024, 1, 2)


def test_a_day_first_date_read_month_first_is_refused_with_the_setting_to_use():
    with pytest.raises(ValueError) as caught:
        parse_date("25/12/2024")
    message = str(caught.value)
    assert "'25/12/2024'" in message
    assert "day first" in message
    assert "--day-first" in message


def test_a_month_first_date_read_day_first_is_refused_the_other_way():
    with pytest.raises(ValueError) as caught:
        parse_date("12/25/2024", day_first=True)
    message = str(caught.value)
    assert "'12/25/2024'" in message
    assert "month first" in message
    assert "without --day-first" in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2/30/2024", "February 2024 has no day 30"),
        ("2/29/2023", "February 2023 has no day 29"),
        ("2024-13-01", "there is no month 13"),
        ("31.13.2024", "there is no month 13"),
        ("13/13/2024", "there is no month 13"),
        ("45/12/2024", "there is no month 45"),
        ("0000-01-01", "there is no year 0"),
        ("0/5/2024", "there is no month 0"),
        ("Janvier 5, 2024", "'Janvier' is not an English month name"),
        ("45312", "spreadsheet day number"),
        ("next Tuesday", "is not a date like 2024-01-22"),
        ("1/5/202", "is not a date like"),
        ("20240122", "is not a date like"),
        ("2024-01-22 25:00", "not a real time of day"),
        ("2024-01-22 13:00 PM", "12-hour clock"),
    ],
)
def test_parse_date_refuses_with_a_plain_reason(text, words):
    with pytest.raises(ValueError) as caught:
        parse_date(text)
    assert f"'{text}'" in str(caught.value)
    assert words in str(caught.value)


@given(st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)))
def test_any_date_written_us_european_or_iso_reads_back(day):
    assert parse_date(f"{day.month}/{day.day}/{day.year}") == day
    assert parse_date(f"{day:%m/%d/%y}") == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}", day_first=True) == day
    assert parse_date(f"{day:%d.%m.%Y}") == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day} {day:%b} {day.year}") == day


# Date-times -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-22T16:14:25Z", datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),
        ("2024-01-22T16:14:25.000+0000", datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),
        ("2024-01-22T16:14:25+00:00", datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),
        ("2024-01-22 16:14:25 UTC", datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC)),
        (
            "2024-01-22T16:14:25.123456-05:00",
            datetime(2024, 1, 22, 21, 14, 25, 123456, tzinfo=UTC),
        ),
        # Without a zone: taken in the zone given (New York, EST in January).
        (
            "2024-01-22 16:14:25.829",
            datetime(2024, 1, 22, 21, 14, 25, 829000, tzinfo=UTC),
        ),
        ("2024-01-22 16:14", datetime(2024, 1, 22, 21, 14, tzinfo=UTC)),
        ("2023-03-01 6:49:18", datetime(2023, 3, 1, 11, 49, 18, tzinfo=UTC)),
        ("02/23/26 08:55 PM", datetime(2026, 2, 24, 1, 55, tzinfo=UTC)),
        ("1/5/2024 12:00 PM", datetime(2024, 1, 5, 17, 0, tzinfo=UTC)),
        ("1/5/2024 12:00 AM", datetime(2024, 1, 5, 5, 0, tzinfo=UTC)),
        ("1/5/2024 9:05 am", datetime(2024, 1, 5, 14, 5, tzinfo=UTC)),
        ("2024-01-22", datetime(2024, 1, 22, 5, 0, tzinfo=UTC)),
        # EDT in July: four hours behind UTC.
        ("2024-07-01 09:00:00", datetime(2024, 7, 1, 13, 0, tzinfo=UTC)),
        ("", None),
    ],
)
def test_parse_datetime_reads(text, expected):
    assert parse_datetime(text, zone=NEW_YORK) == expected


def test_parse_datetime_is_always_aware_and_keeps_the_written_offset():
    written = parse_datetime("2024-01-22T16:14:25+05:30", zone=NEW_YORK)
    assert written is not None
    assert written.utcoffset() == timedelta(hours=5, minutes=30)
    assert written == datetime(2024, 1, 22, 10, 44, 25, tzinfo=UTC)

    naive = parse_datetime("2024-01-22 16:14:25", zone=NEW_YORK)
    assert naive is not None
    assert naive.tzinfo is NEW_YORK
    assert naive.utcoffset() == timedelta(hours=-5)

    fixed = timezone(timedelta(hours=1))
    bare = parse_datetime("31.12.2024", zone=fixed)
    assert bare == datetime(2024, 12, 31, 0, 0, tzinfo=fixed)


def test_parse_datetime_day_first_reads_report_dates_day_first():
    value = parse_datetime("23/02/26 20:55", day_first=True, zone=UTC)
    assert value == datetime(2026, 2, 23, 20, 55, tzinfo=UTC)


def test_parse_datetime_fractions_beyond_microseconds_are_cut_to_microseconds():
    value = parse_datetime("2024-01-22T16:14:25.1234567Z", zone=UTC)
    assert value == datetime(2024, 1, 22, 16, 14, 25, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2024-01-22T16:14:61", "not a real time of day"),
        ("2024-01-22T24:00", "not a real time of day"),
        ("1/5/2024 0:30 AM", "12-hour clock"),
        ("2024-01-22T16:14:25+2500", "offset +2500 that does not exist"),
        ("25/12/2024 10:00", "--day-first"),
        ("yesterday", "is not a date"),
    ],
)
def test_parse_datetime_refuses_with_a_plain_reason(text, words):
    with pytest.raises(ValueError) as caught:
        parse_datetime(text, zone=UTC)
    assert f"'{text}'" in str(caught.value)
    assert words in str(caught.value)


# Money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,234.50", (Decimal("1234.50"), "USD")),
        ("1.234,50 €", (Decimal("1234.50"), "EUR")),
        ("USD 1,234", (Decimal("1234.00"), "USD")),
        ("1 234,50 EUR", (Decimal("1234.50"), "EUR")),
        ("1\u00a0234,50\u00a0€", (Decimal("1234.50"), "EUR")),
        ("£99", (Decimal("99.00"), "GBP")),
        ("¥1,200", (Decimal("1200.00"), "JPY")),
        ("CHF 1'234.50", (Decimal("1234.50"), "CHF")),
        ("(1,234.00)", (Decimal("-1234.00"), "USD")),
        ("($1,234.00)", (Decimal("-1234.00"), "USD")),
        ("-$1,234.00", (Decimal("-1234.00"), "USD")),
        ("$-1,234.00", (Decimal("-1234.00"), "USD")),
        ("-1234", (Decimal("-1234.00"), "USD")),
        ("1234.5", (Decimal("1234.50"), "USD")),
        ("182.31500000000003", (Decimal("182.32"), "USD")),
        ("0.005", (Decimal("0.01"), "USD")),
        ("0.004", (Decimal("0.00"), "USD")),
        ("-0.005", (Decimal("-0.01"), "USD")),
        ("1,234,567.89", (Decimal("1234567.89"), "USD")),
        ("1.234.567,89", (Decimal("1234567.89"), "USD")),
        ("12,34,567.00", (Decimal("1234567.00"), "USD")),
        ("1,5", (Decimal("1.50"), "USD")),
        ("1,50", (Decimal("1.50"), "USD")),
        ("1234.567", (Decimal("1234.57"), "USD")),
        ("0.125", (Decimal("0.13"), "USD")),
        (".5", (Decimal("0.50"), "USD")),
        ("EUR1234", (Decimal("1234.00"), "EUR")),
        ("eur 12", (Decimal("12.00"), "EUR")),
        ("1234 USD", (Decimal("1234.00"), "USD")),
        ("$1,234.50 USD", (Decimal("1234.50"), "USD")),
        ("US$1,200", (Decimal("1200.00"), "USD")),
        ("R$ 1.200,00", (Decimal("1200.00"), "BRL")),
        ("100 zł", (Decimal("100.00"), "PLN")),
        ("+250", (Decimal("250.00"), "USD")),
        ("0", (Decimal("0.00"), "USD")),
        ("", None),
    ],
)
def test_parse_money_reads(text, expected):
    assert parse_money(text, default_currency="USD") == expected


def test_parse_money_default_currency_and_dollar_sign():
    assert parse_money("1234", default_currency="eur") == (Decimal("1234.00"), "EUR")
    # "$" is the org's own dollar when the org counts in one, else US dollars.
    assert parse_money("$10", default_currency="CAD") == (Decimal("10.00"), "CAD")
    assert parse_money("$10", default_currency="EUR") == (Decimal("10.00"), "USD")
    assert parse_money("$10 CAD", default_currency="USD") == (Decimal("10.00"), "CAD")
    assert parse_money("¥10", default_currency="CNY") == (Decimal("10.00"), "CNY")
    assert parse_money("¥10", default_currency="USD") == (Decimal("10.00"), "JPY")


def test_parse_money_decimal_comma():
    def read(text: str) -> tuple[Decimal, str] | None:
        return parse_money(text, default_currency="EUR", decimal_comma=True)

    assert read("1,234") == (Decimal("1.23"), "EUR")
    assert read("1,2345") == (Decimal("1.23"), "EUR")
    assert read("1.234") == (Decimal("1234.00"), "EUR")
    assert read("1.234.567") == (Decimal("1234567.00"), "EUR")
    assert read("1.234,50") == (Decimal("1234.50"), "EUR")
    assert read("1234.5") == (Decimal("1234.50"), "EUR")
    assert read("1,234.50") == (Decimal("1234.50"), "EUR")
    with pytest.raises(ValueError, match="two decimal separators"):
        read("1,234,567")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("12 ABC", "'ABC' is not a currency code"),
        ("1234 abc", "'abc' is not a currency code"),
        ("12 kr", "'kr' is not a currency code"),
        ("USD 12 EUR", "two currencies ('USD' and 'EUR')"),
        ("€12 USD", "two currencies ('€' and 'USD')"),
        ("1.234.567", "two decimal separators ('.' twice)"),
        ("1,234.56.7", "two decimal separators ('.' twice)"),
        ("1.234,5,6", "two decimal separators (',' twice)"),
        ("1,2345", "cannot tell whether ','"),
        # A dot before three digits, after one to three: a thousands group
        # in Europe, decimals in the US. Refused, never guessed.
        ("1.234", "could be 1234 (with '.' grouping thousands) or 1.234"),
        ("1.234 €", "could be 1234"),
        ("USD 999.999", "could be 999999"),
        ("1.5E+06", "scientific notation"),
        ("N/A", "has no number in it"),
        ("USD", "has no number in it"),
        ("12,34", None),  # read: a decimal comma, see the next test
        ("1,23,4567.00", "grouped oddly"),
        ("1 2", "grouped oddly"),
        ("1.234 567,00", "mixes different thousands separators"),
        ("(12", "unmatched brackets"),
        ("-(12)", "negative twice"),
        ("--12", "negative twice"),
        ("12 # 4", "not an amount"),
        ("X$12", "not a currency symbol we know"),
        ("12%", "'%' does not belong in one"),
    ],
)
def test_parse_money_refuses_with_a_plain_reason(text, words):
    if words is None:
        assert parse_money(text, default_currency="USD") == (Decimal("12.34"), "USD")
        return
    with pytest.raises(ValueError) as caught:
        parse_money(text, default_currency="USD")
    assert f"'{text}'" in str(caught.value)
    assert words in str(caught.value)


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_any_amount_formatted_us_or_european_style_reads_back(cents):
    amount = Decimal(cents).scaleb(-2)
    us = f"{amount:,.2f}"  # 1,234,567.89
    european = us.replace(",", " ").replace(".", ",").replace(" ", ".")
    assert parse_money(us, default_currency="USD") == (amount, "USD")
    assert parse_money(f"{european} €", default_currency="USD") == (amount, "EUR")
    assert parse_money(european, default_currency="EUR", decimal_comma=True) == (
        amount,
        "EUR",
    )


# Yes/no and percentages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("TRUE", True),
        ("False", False),
        ("yes", True),
        ("NO", False),
        ("y", True),
        ("N", False),
        (" 1 ", True),
        ("", None),
    ],
)
def test_parse_bool_reads(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "t", "-1", "checked"])
def test_parse_bool_refuses(text):
    with pytest.raises(ValueError) as caught:
        parse_bool(text)
    assert f"'{text}' is not a yes or no" in str(caught.value)
    assert "true/false" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75", Decimal("75")),
        ("75%", Decimal("75")),
        ("75 %", Decimal("75")),
        ("0.75", Decimal("0.75")),
        ("12.5", Decimal("12.5")),
        ("100", Decimal("100")),
        ("100.0", Decimal("100")),
        ("0", Decimal("0")),
        ("", None),
    ],
)
def test_parse_percent_reads_the_number_as_percent(text, expected):
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1000", "more than 100 percent"),
        ("100.01", "more than 100 percent"),
        ("-5", "below 0 percent"),
        ("high", "is not a percentage like 75 or 75%"),
        ("75,5", "is not a percentage"),
    ],
)
def test_parse_percent_refuses(text, words):
    with pytest.raises(ValueError) as caught:
        parse_percent(text)
    assert f"'{text}'" in str(caught.value)
    assert words in str(caught.value)


# Salesforce ids -----------------------------------------------------------------


def test_salesforce_id_suffix_worked_by_hand():
    """The suffix, by Salesforce's documented algorithm.

    Split the 15-character id into three chunks of five. In each chunk, bit i
    (i = 0 for the chunk's first character) is set when character i is an
    upper-case A–Z. The 5-bit number indexes "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345".

    "001000000000000": no upper-case letters, so 0, 0, 0 -> "AAA".

    "001A0000006Vm9r":
        "001A0" -> 'A' is character 3 -> 2**3 = 8   -> 'I'
        "00000" -> none                -> 0          -> 'A'
        "6Vm9r" -> 'V' is character 1 -> 2**1 = 2   -> 'C'
        suffix "IAC".

    "006bm00000LKJNN" (a real id, 006bm00000LKJNNAA5 in salesforce-in-powerbi):
        "006bm" -> 0 -> 'A'; "00000" -> 0 -> 'A';
        "LKJNN" -> all five upper -> 1+2+4+8+16 = 31 -> '5'; suffix "AA5".

    "001bm00001ZL8U9" (001bm00001ZL8U9AAL in the same export):
        "ZL8U9" -> Z (bit 0), L (bit 1), U (bit 3) -> 1+2+8 = 11 -> 'L'; "AAL".

    "006Nq00000BGi8P" (006Nq00000BGi8PIAT in sfdc-gen-ai-demo):
        "006Nq" -> N is character 3 -> 8 -> 'I'; "00000" -> 'A';
        "BGi8P" -> B (0), G (1), P (4) -> 1+2+16 = 19 -> 'T'; "IAT".
    """
    assert salesforce_id("001000000000000") == "001000000000000AAA"
    assert salesforce_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce_id("006bm00000LKJNN") == "006bm00000LKJNNAA5"
    assert salesforce_id("001bm00001ZL8U9") == "001bm00001ZL8U9AAL"
    assert salesforce_id("006Nq00000BGi8P") == "006Nq00000BGi8PIAT"
    assert salesforce_id(" 006Nq00000BGi8PIAT ") == "006Nq00000BGi8PIAT"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Lower-cased by a spreadsheet: the suffix no longer fits.
        ("001bm00001zl8u9aal", "last three characters should be"),
        ("001bm00001ZL8U9AAX", "should be AAL"),
        ("001bm00001ZL8U", "15 or 18 characters, this has 14"),
        ("001bm00001ZL8U9AA", "15 or 18 characters, this has 17"),
        ("001bm00001ZL8U-", "only letters and digits"),
        ("001bm00001ZL8Ü9", "only letters and digits"),
    ],
)
def test_salesforce_id_refuses(text, words):
    with pytest.raises(ValueError) as caught:
        salesforce_id(text)
    assert f"'{text}'" in str(caught.value)
    assert words in str(caught.value)


def test_salesforce_id_refuses_an_empty_value():
    with pytest.raises(ValueError, match="empty"):
        salesforce_id("  ")


ID_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(st.text(alphabet=ID_CHARS, min_size=15, max_size=15))
def test_the_18_character_form_of_the_18_character_form_is_itself(id15):
    id18 = salesforce_id(id15)
    assert id18[:15] == id15
    assert len(id18) == 18
    assert salesforce_id(id18) == id18


@given(
    st.text(alphabet=ID_CHARS, min_size=15, max_size=15),
    st.integers(min_value=0, max_value=14),
)
def test_ids_differing_only_in_case_differ_when_compared_without_case(id15, at):
    if not id15[at].isalpha():
        return
    other = id15[:at] + id15[at].swapcase() + id15[at + 1 :]
    assert salesforce_id(id15).casefold() != salesforce_id(other).casefold()


# One file per condition ---------------------------------------------------------


def test_us_dates_file():
    read = [
        (line, outcome(parse_date, value))
        for line, value in column("us_dates.csv", "CloseDate")
    ]
    assert read[:6] == [
        (2, date(2024, 1, 5)),
        (3, date(2024, 1, 5)),
        (4, date(2024, 12, 31)),
        (5, date(2024, 2, 29)),
        (6, date(2024, 1, 5)),
        (7, date(2024, 1, 5)),
    ]
    line, (refused, message) = read[6]
    assert (line, refused) == (8, "refused")
    assert message == "'2/29/2023' is not a real date: February 2023 has no day 29"


def test_two_digit_years_file():
    read = [
        (line, parse_date(value))
        for line, value in column("two_digit_years.csv", "Written")
    ]
    assert read == [
        (2, date(2024, 2, 3)),
        (3, date(2021, 1, 27)),
        (4, date(2068, 1, 5)),
        (5, date(1969, 1, 5)),
        (6, date(1999, 12, 31)),
        (7, date(2000, 1, 1)),
    ]


def test_day_first_dates_file_is_refused_without_day_first_and_read_with_it():
    values = column("day_first_dates.csv", "Close Date")

    without = [(line, outcome(parse_date, value)) for line, value in values]
    assert without[0] == (
        2,
        (
            "refused",
            "'25/12/2024' has 25 where the month should be, so this file seems to "
            "write the day first (day/month/year). Import it again with "
            '"day first" switched on (--day-first).',
        ),
    )
    assert without[1][1][0] == "refused"
    assert "--day-first" in without[1][1][1]
    # Read month first, 01/02/2024 is a valid 2 January: only the refusals
    # above show the file's order, which is why an import stops at them.
    assert without[2] == (4, date(2024, 1, 2))

    with_flag = [(line, parse_date(value, day_first=True)) for line, value in values]
    assert with_flag == [
        (2, date(2024, 12, 25)),
        (3, date(2024, 1, 31)),
        (4, date(2024, 2, 1)),
    ]


@pytest.mark.parametrize(
    ("text", "day_first", "message"),
    [
        (
            "29/02/2023",
            False,
            "'29/02/2023' is not a real date: February 2023 has no day 29",
        ),
        (
            "31/04/2024",
            False,
            "'31/04/2024' is not a real date: April 2024 has no day 31",
        ),
        (
            "04/31/2024",
            True,
            "'04/31/2024' is not a real date: April 2024 has no day 31",
        ),
    ],
)
def test_a_date_no_order_can_read_is_not_sent_to_the_other_order(
    text, day_first, message
):
    # Suggesting the other order would only lead to a second refusal.
    with pytest.raises(ValueError) as refused:
        parse_date(text, day_first=day_first)
    assert str(refused.value) == message


def test_ambiguous_dates_file_follows_the_setting_never_the_content():
    values = column("ambiguous_dates.csv", "Close Date")
    assert [parse_date(v) for _, v in values] == [
        date(2024, 1, 2),
        date(2024, 3, 4),
        date(2024, 12, 11),
        date(2024, 5, 6),
        date(2024, 2, 1),  # dotted: always day first
    ]
    assert [parse_date(v, day_first=True) for _, v in values] == [
        date(2024, 2, 1),
        date(2024, 4, 3),
        date(2024, 11, 12),
        date(2024, 6, 5),
        date(2024, 2, 1),
    ]


def test_datetimes_with_and_without_zone_file():
    values = column("datetimes_with_and_without_zone.csv", "Written")
    moments = [parse_datetime(v, zone=NEW_YORK) for _, v in values]
    # Written zones are kept; the rest are New York time (EST -5, EDT -4).
    assert moments == [
        datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC),
        datetime(2024, 1, 22, 16, 14, 25, tzinfo=UTC),
        datetime(2024, 1, 22, 10, 44, 25, tzinfo=UTC),  # 16:14:25 at +05:30
        datetime(2024, 1, 23, 7, 30, tzinfo=UTC),  # 23:30 at -08:00
        datetime(2024, 1, 22, 21, 14, 25, 829000, tzinfo=UTC),
        datetime(2020, 7, 9, 15, 4, 22, 87000, tzinfo=UTC),
        datetime(2021, 1, 7, 11, 49, 18, tzinfo=UTC),
        datetime(2026, 2, 24, 1, 55, tzinfo=UTC),  # 8:55 PM EST
        datetime(2024, 12, 3, 5, 5, tzinfo=UTC),  # 12:05 AM EST
        datetime(2024, 1, 22, 5, 0, tzinfo=UTC),  # midnight EST
    ]
    assert [m.utcoffset() if m else None for m in moments] == [
        timedelta(0),
        timedelta(0),
        timedelta(hours=5, minutes=30),
        timedelta(hours=-8),
        timedelta(hours=-5),
        timedelta(hours=-4),
        timedelta(hours=-5),
        timedelta(hours=-5),
        timedelta(hours=-5),
        timedelta(hours=-5),
    ]
    # As dates they are the date written, not the UTC date.
    assert [parse_date(v) for _, v in values] == [
        date(2024, 1, 22),
        date(2024, 1, 22),
        date(2024, 1, 22),
        date(2024, 1, 22),
        date(2024, 1, 22),
        date(2020, 7, 9),
        date(2021, 1, 7),
        date(2026, 2, 23),
        date(2024, 12, 3),
        date(2024, 1, 22),
    ]


def test_amounts_file():
    values = column("amounts.csv", "Written")
    assert [parse_money(v, default_currency="USD") for _, v in values] == [
        (Decimal("1234.50"), "USD"),
        (Decimal("1234.50"), "EUR"),
        (Decimal("1234.00"), "USD"),
        (Decimal("1234.50"), "EUR"),
        (Decimal("99.00"), "GBP"),
        (Decimal("1200.00"), "JPY"),
        (Decimal("1234.50"), "CHF"),
        (Decimal("-1234.00"), "USD"),
        (Decimal("-1234.00"), "USD"),
        (Decimal("1234.50"), "USD"),
        (Decimal("182.32"), "USD"),
        (Decimal("0.01"), "USD"),
    ]


def test_bad_amounts_file():
    with open_table(FIXTURES / "bad_amounts.csv") as table:
        rows = list(table)
    messages = []
    for _, row in rows:
        with pytest.raises(ValueError) as caught:
            parse_money(row["Written"], default_currency="USD")
        messages.append(str(caught.value))
    assert len(messages) == 6
    for (_, row), message in zip(rows, messages, strict=True):
        assert f"'{row['Written']}'" in message
    assert "'ABC' is not a currency code" in messages[0]
    assert "two currencies" in messages[1]
    assert "two decimal separators" in messages[2]
    assert "cannot tell whether ','" in messages[3]
    assert "scientific notation" in messages[4]
    assert "no number" in messages[5]


def test_multi_currency_file():
    with open_table(FIXTURES / "multi_currency.csv", required=["Amount"]) as table:
        rows = list(table)
    read = [
        outcome(
            parse_money, row["Amount"], default_currency=row["Opportunity Currency"]
        )
        for _, row in rows
    ]
    assert read[:6] == [
        (Decimal("12500.00"), "EUR"),
        (Decimal("1200000.00"), "JPY"),
        (Decimal("5000.00"), "GBP"),  # no currency written: the row's currency
        (Decimal("8250.00"), "CAD"),  # "$" in a CAD row is Canadian dollars
        (Decimal("3000.00"), "USD"),
        # The amount names its own currency; the caller sees it differs from
        # the row's EUR and decides.
        (Decimal("100.00"), "USD"),
    ]
    assert read[6] == (
        "refused",
        "'EUR 100 USD' names two currencies ('EUR' and 'USD'); an amount can "
        "have only one",
    )


def test_salesforce_ids_15_and_18_file():
    with open_table(FIXTURES / "salesforce_ids_15_and_18.csv") as table:
        pairs = [(row["Id15"], row["Id18"]) for _, row in table]
    assert len(pairs) == 6
    for id15, id18 in pairs:
        assert salesforce_id(id15) == id18
        assert salesforce_id(id18) == id18


def test_duplicate_record_file_shows_one_record_twice_once_ids_are_made_18():
    with open_table(FIXTURES / "duplicate_record.csv") as table:
        rows = [(line, salesforce_id(row["Id"]), row["Name"]) for line, row in table]
    # The reader keeps every row; the same record written once with its
    # 15-character id and once with its 18-character id is found by its id.
    assert rows == [
        (2, "006bm00000LKJNNAA5", "Dickenson Mobile Generators"),
        (3, "006bm00000LKJNOAA5", "United Oil Office Portable Generators"),
        (4, "006bm00000LKJNNAA5", "Dickenson Mobile Generators"),
    ]
    first_seen: dict[str, int] = {}
    duplicates = []
    for line, record, _ in rows:
        if record in first_seen:
            duplicates.append((first_seen[record], line))
        first_seen.setdefault(record, line)
    assert duplicates == [(2, 4)]


def test_booleans_file():
    values = column("booleans.csv", "Written")
    read = [outcome(parse_bool, v) for _, v in values]
    assert read[:9] == [True, False, True, False, True, False, True, False, None]
    assert read[9][0] == "refused"
    assert "'maybe' is not a yes or no" in read[9][1]


def test_percentages_file():
    values = column("percentages.csv", "Written")
    read = [outcome(parse_percent, v) for _, v in values]
    assert read[:7] == [
        Decimal("75"),
        Decimal("75"),
        Decimal("0.75"),
        Decimal("12.5"),
        Decimal("100"),
        Decimal("0"),
        None,
    ]
    assert read[7] == (
        "refused",
        "'1000' is more than 100 percent; a probability runs from 0 to 100. "
        "Correct it in the CRM, export again and import that",
    )


# The shared sample data -----------------------------------------------------------

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"no sample data at {SHARED_DATA}"
)
SALESFORCE_EXPORTS = [
    "sfdc-data-cloud-workshop/Opportunity.csv",
    "sfdc-data-cloud-workshop/Task.csv",
    "sfdc-data-cloud-workshop/Account.csv",
    "sfdc-gen-ai-demo/Opportunity.csv",
    "sfdc-gen-ai-demo/Account.csv",
    "salesforce-in-powerbi/Opportunity.csv",
    "salesforce-in-powerbi/OpportunityHistory.csv",
    "salesforce-in-powerbi/Account.csv",
]


@needs_shared_data
@pytest.mark.parametrize("name", SALESFORCE_EXPORTS)
def test_every_id_in_the_salesforce_exports_has_the_right_suffix(name):
    checked = 0
    with open_table(sample(name)) as table:
        id_columns = [c for c in table.header if c == "Id" or c.endswith("Id")]
        for _, row in table:
            for col in id_columns:
                if row[col]:
                    assert salesforce_id(row[col]) == row[col]
                    assert salesforce_id(row[col][:15]) == row[col]
                    checked += 1
    assert checked > 0


@needs_shared_data
def test_values_of_the_powerbi_export_read_as_written():
    # First Opportunity row, read by eye from the file:
    # 006bm00000LKJNNAA5,...,15000,10,1500,02/03/24,...,FALSE,FALSE,02/23/26,
    # 02/23/26 08:55 PM,,14,02/12/24,02/26/24
    with open_table(SHARED_DATA / "salesforce-in-powerbi" / "Opportunity.csv") as table:
        line, row = next(table)
    assert line == 2
    assert salesforce_id(row["Id"]) == "006bm00000LKJNNAA5"
    assert parse_money(row["Amount"], default_currency="USD") == (
        Decimal("15000.00"),
        "USD",
    )
    assert parse_percent(row["Probability"]) == Decimal("10")
    assert parse_date(row["CloseDate"]) == date(2024, 2, 3)
    assert parse_date(row["CreatedDate"]) == date(2026, 2, 23)
    assert parse_datetime(row["LastModifiedDate"], zone=UTC) == datetime(
        2026, 2, 23, 20, 55, tzinfo=UTC
    )
    assert parse_bool(row["IsClosed"]) is False
    assert parse_date(row["Opp Close Date_Simulated"]) == date(2024, 2, 26)


@needs_shared_data
def test_the_probability_of_1000_in_the_fivetran_seeds_is_refused():
    refused = []
    for name in ("sf_opportunity_data.csv", "sf_opportunity_history_data.csv"):
        with open_table(SHARED_DATA / "fivetran-dbt-salesforce" / name) as table:
            for line, row in table:
                try:
                    parse_percent(row["probability"])
                except ValueError as exc:
                    refused.append((name, line, row["id"], str(exc)))
    reason = (
        "'1000' is more than 100 percent; a probability runs from 0 to 100. "
        "Correct it in the CRM, export again and import that"
    )
    assert refused == [
        ("sf_opportunity_data.csv", 2, "006q000000HddohAAB", reason),
        ("sf_opportunity_history_data.csv", 2, "006q000000HddohAAB", reason),
    ]


# The quick readers for the common forms must agree with the general ones. ---

from coachbook.lib import fields as _fields  # noqa: E402


def _outcome(read, *args, **kwargs):
    try:
        return ("value", read(*args, **kwargs))
    except ValueError as exc:
        return ("refused", str(exc))


def _same_value(a, b) -> bool:
    # Equal moments in the same zone: equal and with the same offset.
    if a[0] == b[0] == "value" and isinstance(a[1], datetime):
        return a[1] == b[1] and a[1].utcoffset() == b[1].utcoffset()
    return a == b


ISO_PARTS = st.tuples(
    st.integers(0, 10000).map(lambda y: f"{y:04d}"),
    st.integers(0, 13).map(lambda m: f"{m:02d}"),
    st.integers(0, 32).map(lambda d: f"{d:02d}"),
    st.sampled_from(["T", " ", "t", "  "]),
    st.integers(0, 25).map(lambda h: f"{h:02d}"),
    st.integers(0, 61).map(lambda m: f"{m:02d}"),
    st.integers(0, 61).map(lambda s: f"{s:02d}"),
    st.sampled_from(["", ".000", ".5", ".123456", ".1234567", ",250"]),
    st.sampled_from(
        ["", "Z", "+00:00", "+0000", "-05:00", "+0530", "+14:00", "+15:00", "-23:59"]
    ),
)


@settings(max_examples=500)
@given(ISO_PARTS, st.sampled_from([UTC, ZoneInfo("America/New_York")]))
def test_quick_date_time_reading_agrees_with_the_general_reader(parts, zone):
    year, month, day, sep, hour, minute, second, fraction, offset = parts
    text = f"{year}-{month}-{day}{sep}{hour}:{minute}:{second}{fraction}{offset}"
    quick = _outcome(_fields.parse_datetime, text, zone=zone)
    general = _outcome(_fields._general_datetime, text, False, zone)
    assert _same_value(quick, general), text
    day_only = f"{year}-{month}-{day}"
    assert _outcome(_fields.parse_date, day_only) == _outcome(
        _fields._general_date, day_only, False
    )


@settings(max_examples=300)
@given(
    st.integers(0, 10**12),
    st.sampled_from(["", ".", ".0", ".5", ".05", ".005", ".125", ".995", ".12345"]),
    st.sampled_from(["USD", "eur", " GBP "]),
)
def test_quick_amount_reading_agrees_with_the_general_reader(whole, fraction, code):
    text = f"{whole}{fraction}"
    quick = _outcome(_fields.parse_money, text, default_currency=code)
    general = _outcome(_fields._general_money, text, text, code, False)
    assert quick == general, text
