"""Streaming CSV exports (lib/tables.py) as they come from the field.

Each file under fixtures/field_conditions holds one condition; expected rows
and values are written out by hand. The sample data under shared/data is read
whole and checked against the row counts its README states.
"""

from __future__ import annotations

import codecs
import os
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from coachbook.lib.csvfiles import EXTRA, FileProblem, read_rows
from coachbook.lib.fields import parse_date, parse_datetime, parse_money
from coachbook.lib.tables import Table, open_table
from samples import SAMPLES, sample, sample_names

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "field_conditions"
SHARED_DATA = SAMPLES


def read_all(path: Path, **options) -> tuple[list[tuple[int, dict[str, str]]], Table]:
    with open_table(path, **options) as table:
        return list(table), table


def usd(text: str) -> tuple[Decimal, str] | None:
    return parse_money(text, default_currency="USD")


# Encodings ------------------------------------------------------------------------


def test_utf8_bom_file():
    rows, table = read_all(FIXTURES / "utf8_bom.csv")
    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ","
    assert table.header == ["Name", "City", "Amount", "CloseDate"]  # no BOM in "Name"
    assert rows == [
        (
            2,
            {
                "Name": "Müller GmbH",
                "City": "Zürich",
                "Amount": "35000",
                "CloseDate": "2024-07-29",
            },
        ),
        (
            3,
            {
                "Name": "Société Générale, Paris",
                "City": "Paris",
                "Amount": "1200.50",
                "CloseDate": "2024-08-15",
            },
        ),
        (
            4,
            {
                "Name": "Ōsaka Trading",
                "City": "大阪",
                "Amount": "500",
                "CloseDate": "2024-09-01",
            },
        ),
    ]
    assert [usd(row["Amount"]) for _, row in rows] == [
        (Decimal("35000.00"), "USD"),
        (Decimal("1200.50"), "USD"),
        (Decimal("500.00"), "USD"),
    ]
    assert [parse_date(row["CloseDate"]) for _, row in rows] == [
        date(2024, 7, 29),
        date(2024, 8, 15),
        date(2024, 9, 1),
    ]


def test_utf16_tab_file_as_spreadsheets_save_unicode_text():
    assert (FIXTURES / "utf16_tab.txt").read_bytes()[:2] == codecs.BOM_UTF16_LE
    rows, table = read_all(FIXTURES / "utf16_tab.txt", required=["Amount"])
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert table.header == ["Opportunity Name", "Amount", "Close Date", "Owner"]
    assert rows == [
        (
            2,
            {
                "Opportunity Name": "Zoë's Café",
                "Amount": "€1.234,50",
                "Close Date": "12/31/2024",
                "Owner": "Zoë Brontë",
            },
        ),
        (
            3,
            {
                "Opportunity Name": 'Big "Q4" Deal',
                "Amount": "$1,234.50",
                "Close Date": "1/5/2025",
                "Owner": "José Núñez",
            },
        ),
    ]
    assert [usd(row["Amount"]) for _, row in rows] == [
        (Decimal("1234.50"), "EUR"),
        (Decimal("1234.50"), "USD"),
    ]
    assert [parse_date(row["Close Date"]) for _, row in rows] == [
        date(2024, 12, 31),
        date(2025, 1, 5),
    ]


def test_cp1252_file():
    raw = (FIXTURES / "cp1252.csv").read_bytes()
    # é, ’ and € as Windows writes them: one byte each.
    assert b"Caf\xe9" in raw and b"It\x92s" in raw and b'"\x801.500,00"' in raw
    rows, table = read_all(FIXTURES / "cp1252.csv")
    assert table.encoding == "cp1252"
    assert rows == [
        (
            2,
            {
                "Account": "Café Crème SARL",
                "Note": "It’s signed – 5% off",
                "Amount": "€1.500,00",
            },
        ),
        (
            3,
            {
                "Account": "Hôtel Séville",
                "Note": "Renewal “gold” tier",
                "Amount": "€250",
            },
        ),
    ]
    assert [usd(row["Amount"]) for _, row in rows] == [
        (Decimal("1500.00"), "EUR"),
        (Decimal("250.00"), "EUR"),
    ]


def test_a_utf8_file_with_a_bad_byte_after_the_sample_names_the_line(tmp_path):
    path = tmp_path / "late.csv"
    good = b"".join(
        b"%d,plain ascii row padded out to a fair length\n" % i for i in range(2000)
    )
    assert len(good) > 64 * 1024
    # Header is line 1, the 2000 good rows lines 2-2001, the bad one line 2002.
    # The first row's accent is UTF-8, so a later cp1252 byte is a fault.
    good = "0,Café\n".encode() + good.split(b"\n", 1)[1]
    path.write_bytes(b"Id,Name\n" + good + b"2000,Caf\xe9 in cp1252\n2001,after\n")
    with open_table(path) as table:
        assert table.encoding == "utf-8"
        with pytest.raises(FileProblem) as caught:
            for _ in table:
                pass
    message = str(caught.value)
    assert message.startswith(
        "late.csv: line 2002 has text that is not UTF-8 (byte 0xE9)"
    )
    assert "save it as UTF-8 CSV" in message


def test_a_character_cut_at_the_end_of_the_sample_is_still_utf8(tmp_path):
    path = tmp_path / "cut.csv"
    head = b"Id,Name\n"
    # Row "1,aaa…a" fills the sample up to the row "2,été" whose é is cut.
    filler = (
        b"1," + b"a" * (64 * 1024 - len(head) - len(b"1,\n") - len(b"2,") - 1) + b"\n"
    )
    # "é" is C3 A9: C3 is the last byte of the 64 KiB sample, A9 the first after.
    body = head + filler + b"2,\xc3\xa9t\xc3\xa9\n"
    assert body[64 * 1024 - 1] == 0xC3
    path.write_bytes(body)
    rows, table = read_all(path)
    assert table.encoding == "utf-8"
    assert rows[-1] == (3, {"Id": "2", "Name": "été"})


def test_bytes_that_are_neither_utf8_nor_cp1252_are_refused(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"Id,Name\n1,\x81\x8d\n")
    with pytest.raises(FileProblem) as caught:
        open_table(path)
    assert str(caught.value).startswith(
        "odd.csv: is neither UTF-8 nor Windows (cp1252)"
    )


def test_utf16_big_endian_is_read(tmp_path):
    path = tmp_path / "be.txt"
    path.write_bytes(
        codecs.BOM_UTF16_BE + "Name\tCity\r\nZoë\tKöln\r\n".encode("utf-16-be")
    )
    rows, table = read_all(path)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows == [(2, {"Name": "Zoë", "City": "Köln"})]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00", "is an Excel workbook, not a CSV file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "is an Excel workbook, not a CSV file"),
        ("Name,City\n".encode("utf-16-le"), "UTF-16 text without the mark"),
        (codecs.BOM_UTF32_LE + "Name\n".encode("utf-32-le"), "is UTF-32 text"),
    ],
)
def test_files_that_are_not_csv_text_are_refused_with_what_to_do(tmp_path, data, words):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(FileProblem) as caught:
        open_table(path)
    assert words in str(caught.value)
    assert "CSV UTF-8" in str(caught.value)


# Delimiters -----------------------------------------------------------------------


def test_semicolon_file_with_commas_inside_quoted_header():
    rows, table = read_all(FIXTURES / "semicolon.csv")
    # Two commas inside the quoted first name, two semicolons outside quotes.
    assert table.delimiter == ";"
    assert table.header == ["Betrag (EUR, netto, gerundet)", "Name", "Abschlussdatum"]
    assert [row["Name"] for _, row in rows] == [
        "Müller GmbH",
        "Schmidt; Söhne",
        "Korrektur",
        "Rundung",
    ]
    assert [
        parse_money(
            row["Betrag (EUR, netto, gerundet)"],
            default_currency="EUR",
            decimal_comma=True,
        )
        for _, row in rows
    ] == [
        (Decimal("1234.50"), "EUR"),
        (Decimal("12000.00"), "EUR"),
        (Decimal("-99.95"), "EUR"),
        (Decimal("1234.00"), "EUR"),
    ]
    assert [parse_date(row["Abschlussdatum"]) for _, row in rows] == [
        date(2024, 12, 31),
        date(2025, 2, 1),
        date(2025, 1, 15),
        date(2025, 1, 2),
    ]


def test_tab_file_with_commas_and_quotes_inside_values():
    rows, table = read_all(FIXTURES / "tab.tsv")
    assert table.delimiter == "\t"
    assert rows == [
        (
            2,
            {
                "Deal Name": "Acme, Inc. - 1,200 Widgets",
                "Amount": "$140,000.00",
                "Close Date": "1/5/2024",
            },
        ),
        (
            3,
            {
                "Deal Name": 'Global Media "Add-On"',
                "Amount": "$5,000",
                "Close Date": "11/30/2024",
            },
        ),
    ]
    assert [usd(row["Amount"]) for _, row in rows] == [
        (Decimal("140000.00"), "USD"),
        (Decimal("5000.00"), "USD"),
    ]
    assert [parse_date(row["Close Date"]) for _, row in rows] == [
        date(2024, 1, 5),
        date(2024, 11, 30),
    ]


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("Id,Name,Stage", ","),
        ("Id;Name;Stage", ";"),
        ("Id\tName\tStage", "\t"),
        ("Id", ","),
        ("Id;Name,Stage\tAmount", ","),  # one of each: a tie goes to the comma
        ("Id;Name;Stage\tAmount\tCity", ","),  # a tie between the others too
        ('"Amount (EUR, net)";"Name, full";Stage;City', ";"),
        ("Notes, plain;Id;Name", ";"),
    ],
)
def test_delimiter_is_the_most_frequent_outside_quotes_in_the_header(
    tmp_path, header, delimiter
):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with open_table(path) as table:
        assert table.delimiter == delimiter


# Rows that span lines, line endings ------------------------------------------------


def test_quoted_newlines_file_keeps_them_and_numbers_rows_as_a_spreadsheet_does():
    # The file has seven lines; a spreadsheet shows its three records on
    # rows 2, 3 and 4, which is where an admin looks for a rejected row.
    rows, _ = read_all(FIXTURES / "quoted_newlines.csv")
    assert rows == [
        (
            2,
            {
                "Id": "00T000000000001",
                "Subject": "Call",
                "Description": "Spoke with CFO.\nNext: send pricing.",
                "ActivityDate": "2024-01-10",
            },
        ),
        (
            3,
            {
                "Id": "00T000000000002",
                "Subject": "Email",
                "Description": "Line one\r\nLine two\r\nLine three",
                "ActivityDate": "2024-01-11",
            },
        ),
        (
            4,
            {
                "Id": "00T000000000003",
                "Subject": "Meeting",
                "Description": "",
                "ActivityDate": "2024-01-12",
            },
        ),
    ]
    assert [parse_date(row["ActivityDate"]) for _, row in rows] == [
        date(2024, 1, 10),
        date(2024, 1, 11),
        date(2024, 1, 12),
    ]


@pytest.mark.parametrize(
    "name", ["quoted_newlines.csv", "utf8_bom.csv", "report_footer.csv"]
)
def test_row_numbers_agree_with_read_rows(name):
    with open_table(FIXTURES / name) as table:
        lines = [line for line, _ in table]
    expected = [line for line, _ in read_rows(FIXTURES / name, [])]
    if name == "report_footer.csv":
        expected = expected[:3]  # read_rows yields the footer lines as rows
    assert lines == expected


def test_cr_line_endings_file_as_old_excel_for_mac_saved():
    rows, _ = read_all(FIXTURES / "cr_line_endings.csv")
    assert rows == [
        (2, {"Name": "Alpha", "Amount": "100", "Note": "two\rlines"}),
        (3, {"Name": "Beta", "Amount": "200", "Note": "plain"}),
    ]


def test_crlf_split_across_read_chunks_is_one_line_end(tmp_path):
    path = tmp_path / "crlf.csv"
    head = b"Id,Name\r\n"
    first = b"1," + b"a" * (64 * 1024 - len(head) - 3) + b"\r"
    # The \r is the last byte of the first 64 KiB read, its \n the first of the next.
    path.write_bytes(head + first + b"\n2,b\r\n")
    assert len(head + first) == 64 * 1024
    rows, _ = read_all(path)
    assert [(line, row["Id"]) for line, row in rows] == [(2, "1"), (3, "2")]


# Report footers --------------------------------------------------------------------


def test_report_footer_file_salesforce_style():
    with open_table(
        FIXTURES / "report_footer.csv", required=["Amount", "Close Date"]
    ) as table:
        assert table.skipped_footer_lines == 0  # known only after reading
        rows = list(table)
        assert table.skipped_footer_lines == 5
    assert [line for line, _ in rows] == [2, 3, 4]
    assert rows[0][1] == {
        "Opportunity Owner": "Jane Doe",
        "Account Name": "Edge Communications",
        "Opportunity Name": "Edge Emergency Generator",
        "Stage": "Closed Won",
        "Amount": "$75,000.00",
        "Close Date": "1/27/2024",
    }
    assert [usd(row["Amount"]) for _, row in rows] == [
        (Decimal("75000.00"), "USD"),
        (Decimal("270000.00"), "USD"),
        (Decimal("60000.00"), "USD"),
    ]
    assert [parse_date(row["Close Date"]) for _, row in rows] == [
        date(2024, 1, 27),
        date(2024, 3, 15),
        date(2024, 12, 3),
    ]


def test_hubspot_total_row_file():
    rows, table = read_all(FIXTURES / "hubspot_total_row.csv")
    assert table.skipped_footer_lines == 1
    assert [(line, row["Record ID"], row["Deal Name"]) for line, row in rows] == [
        (2, "3954699413", "Acme renewal"),
        (3, "3954780486", "Globex expansion"),
    ]
    amounts = [usd(row["Amount"]) for _, row in rows]
    assert amounts == [(Decimal("12500.00"), "USD"), (Decimal("1234567.00"), "USD")]
    # The skipped total row said 1,247,067.00: 12,500 + 1,234,567.
    assert sum(a for a, _ in filter(None, amounts)) == Decimal("1247067.00")
    assert [parse_datetime(row["Close Date"], zone=UTC) for _, row in rows] == [
        datetime(2024, 3, 31, 10, 15, tzinfo=UTC),
        datetime(2024, 4, 15, 9, 0, tzinfo=UTC),
    ]


def test_blank_line_between_rows_file_keeps_every_data_row():
    rows, table = read_all(FIXTURES / "blank_line_between_rows.csv")
    # "Beta,," after a blank line looked like a footer until Gamma came.
    assert rows == [
        (2, {"Name": "Alpha", "Stage": "Prospecting", "Amount": "100"}),
        (4, {"Name": "Beta", "Stage": "", "Amount": ""}),
        (6, {"Name": "Gamma", "Stage": "Closed Won", "Amount": "300"}),
    ]
    assert table.skipped_footer_lines == 0


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_total_row_followed_by_data_is_data(tmp_path):
    path = write(tmp_path, "Name,Amount\nTotal,30\nWidgets,20\nTotal,50\n")
    rows, table = read_all(path)
    assert rows == [
        (2, {"Name": "Total", "Amount": "30"}),
        (3, {"Name": "Widgets", "Amount": "20"}),
    ]
    assert table.skipped_footer_lines == 1


@pytest.mark.parametrize(
    "label",
    [
        "Total",
        "TOTAL",
        "Totals",
        "Grand Total",
        "Grand Totals (58 records)",
        "Subtotal",
        "Sub-total",
        "Total:",
    ],
)
def test_total_row_labels(tmp_path, label):
    path = write(tmp_path, f'Name,Amount\nAcme,10\n"{label}",10\n')
    rows, table = read_all(path)
    assert [line for line, _ in rows] == [2]
    assert table.skipped_footer_lines == 1


def test_a_deal_whose_name_starts_with_total_is_data(tmp_path):
    path = write(tmp_path, "Name,Amount\nAcme,10\n\nTotal Wine & More,20\n")
    rows, table = read_all(path)
    assert [(line, row["Name"]) for line, row in rows] == [
        (2, "Acme"),
        (4, "Total Wine & More"),
    ]
    assert table.skipped_footer_lines == 0


def test_footer_lines_padded_with_delimiters_are_skipped(tmp_path):
    # As a spreadsheet re-saves a report: every line as wide as the header.
    path = write(
        tmp_path,
        'Name,Stage,Amount\nAcme,Won,10\n,,\n"Opportunities by Stage",,\n'
        '"Generated By:  Jane Doe  12/3/2024 10:00 AM",,\nTotal,,10\n,,\n',
    )
    rows, table = read_all(path)
    assert [line for line, _ in rows] == [2]
    assert table.skipped_footer_lines == 3


def test_a_one_column_file_has_no_footer_by_shape(tmp_path):
    path = write(tmp_path, "Id\n006A\n\n006B\n\n006C\n")
    rows, table = read_all(path)
    assert rows == [(2, {"Id": "006A"}), (4, {"Id": "006B"}), (6, {"Id": "006C"})]
    assert table.skipped_footer_lines == 0


# Header and row shape ---------------------------------------------------------------


def test_duplicate_column_file_is_refused():
    with pytest.raises(FileProblem) as caught:
        open_table(FIXTURES / "duplicate_column.csv")
    assert str(caught.value) == (
        "duplicate_column.csv: has two columns named 'Name' (columns 2 and 4); "
        "rename or remove one and import again"
    )


def test_duplicate_names_count_after_stripping(tmp_path):
    path = write(tmp_path, "Id, Name ,Name\n1,a,b\n")
    with pytest.raises(
        FileProblem, match="two columns named 'Name' \\(columns 2 and 3\\)"
    ):
        open_table(path)


def test_extra_values_file():
    rows, _ = read_all(FIXTURES / "extra_values.csv")
    assert rows == [
        (
            2,
            {
                "Name": "Alpha",
                "Stage": "Prospecting",
                "Amount": "100",
                EXTRA: "has 1 more values than the header has columns",
            },
        ),
        # A trailing empty value is no problem.
        (3, {"Name": "Beta", "Stage": "Qualification", "Amount": "200"}),
        # A short row may have been cut: refused, not filled in.
        (
            4,
            {
                "Name": "Gamma",
                "Stage": "Closed Won",
                "Amount": "",
                EXTRA: "has 2 values but the header has 3 columns; the row looks "
                "cut short, so export it again",
            },
        ),
    ]


def test_unnamed_columns_are_left_out(tmp_path):
    path = write(tmp_path, "Id,,Name,\n1,x,Acme,\n")
    rows, table = read_all(path)
    assert table.header == ["Id", "", "Name", ""]
    assert rows == [(2, {"Id": "1", "Name": "Acme"})]


def test_missing_required_columns_are_listed(tmp_path):
    path = write(tmp_path, "Id,Name\n1,Acme\n")
    with pytest.raises(FileProblem) as caught:
        open_table(path, required=["Id", "StageName", "CloseDate"])
    assert str(caught.value) == "report.csv: missing column 'StageName', 'CloseDate'"


def test_a_header_read_as_one_column_says_so(tmp_path):
    path = write(tmp_path, "Id|Name|Stage\n1|Acme|Won\n")
    with pytest.raises(FileProblem) as caught:
        open_table(path, required=["Id"])
    assert "read as a single column" in str(caught.value)


def test_empty_file_is_refused():
    with pytest.raises(FileProblem) as caught:
        open_table(FIXTURES / "empty.csv", required=["Id", "Name"])
    assert (
        str(caught.value) == "empty.csv: is empty; expected a header row with Id, Name"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (codecs.BOM_UTF8, "is empty; expected a header row"),
        (b"\n\n  \n", "is empty; expected a header row"),
        (
            b"\nId,Name\n1,Acme\n",
            "has a blank first line; the header row must be the first line",
        ),
    ],
)
def test_files_without_a_header_are_refused(tmp_path, data, message):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(FileProblem) as caught:
        open_table(path)
    assert str(caught.value) == f"x.csv: {message}"


def test_a_header_only_file_has_no_rows(tmp_path):
    rows, table = read_all(write(tmp_path, "Id,Name"))
    assert rows == []
    assert table.header == ["Id", "Name"]


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileProblem, match="file not found"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(FileProblem, match="is a folder, not a CSV file"):
        open_table(tmp_path)


def test_a_quote_never_closed_is_reported_where_its_row_starts(tmp_path):
    path = tmp_path / "open_quote.csv"
    body = 'Id,Note\n1,fine\n2,"opened here\n' + ("more text\n" * 20_000)
    path.write_text(body, encoding="utf-8")
    with open_table(path) as table, pytest.raises(FileProblem) as caught:
        list(table)
    message = str(caught.value)
    assert message.startswith(
        "open_quote.csv: the row starting on line 3 has a value longer than"
    )
    assert "quote" in message


# Files are closed --------------------------------------------------------------------

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs /proc"
)


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@needs_proc
def test_the_file_is_closed_by_with_by_reading_to_the_end_and_on_a_refusal():
    before = open_files()
    with open_table(FIXTURES / "utf8_bom.csv") as table:
        next(table)
        assert open_files() == before + 1
    assert open_files() == before

    table = open_table(FIXTURES / "utf16_tab.txt")
    list(table)
    assert open_files() == before

    with pytest.raises(FileProblem):
        open_table(FIXTURES / "duplicate_column.csv")
    assert open_files() == before


# Memory ------------------------------------------------------------------------------


def test_a_50_mb_file_is_read_in_flat_memory(tmp_path):
    path = tmp_path / "big.csv"
    note = "x" * 400
    block = "".join(
        f'006{i:015d},Deal {i},"{note}, with a comma",{i}.50,2024-01-22\n'
        for i in range(1000)
    ).encode("utf-8")
    written = 0
    with open(path, "wb") as out:
        out.write(b"Id,Name,Description,Amount,CloseDate\n")
        while written * len(block) // 1000 < 50 * 1024 * 1024:
            out.write(block)
            written += 1000
        out.write(b'\n"Generated By:  Jane Doe  12/3/2024 10:00 AM"\n')
    assert path.stat().st_size > 50 * 1024 * 1024

    tracemalloc.start()
    try:
        count = last = 0
        with open_table(path, required=["Id", "Amount"]) as table:
            for line, row in table:
                count += 1
                last = line
                assert row["Amount"]
            footer = table.skipped_footer_lines
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == written
    assert last == written + 1
    assert footer == 1
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB"


# The shared sample data ------------------------------------------------------------------

# Rows (data, no header) and columns as shared/data/README.md states them
# (columns only where the README gives them).
SHARED_TABLES: dict[str, tuple[int, int | None]] = {
    "maven-crm/sales_pipeline.csv": (8800, 8),
    "maven-crm/accounts.csv": (85, 7),
    "maven-crm/products.csv": (7, 3),
    "maven-crm/sales_teams.csv": (35, 3),
    "maven-crm/data_dictionary.csv": (21, 3),
    "sfdc-data-cloud-workshop/Opportunity.csv": (50, 35),
    "sfdc-data-cloud-workshop/Task.csv": (75, 40),
    "sfdc-data-cloud-workshop/Account.csv": (22, 56),
    "sfdc-gen-ai-demo/Opportunity.csv": (58, 36),
    "sfdc-gen-ai-demo/Account.csv": (94, 57),
    "salesforce-in-powerbi/Opportunity.csv": (36, 19),
    "salesforce-in-powerbi/OpportunityHistory.csv": (48, 13),
    "salesforce-in-powerbi/Account.csv": (18, 17),
    "fivetran-dbt-salesforce/sf_opportunity_data.csv": (10, 36),
    "fivetran-dbt-salesforce/sf_opportunity_history_data.csv": (10, 35),
    "fivetran-dbt-salesforce/sf_task_data.csv": (10, 107),
    "fivetran-dbt-salesforce/sf_event_data.csv": (10, 113),
    "fivetran-dbt-salesforce/sf_user_data.csv": (10, 66),
    "fivetran-dbt-salesforce/sf_user_role_data.csv": (10, 14),
    "fivetran-dbt-salesforce/sf_account_data.csv": (10, 50),
    "fivetran-dbt-hubspot/deal_data.csv": (44, None),
    "fivetran-dbt-hubspot/deal_stage_data.csv": (14, None),
    "fivetran-dbt-hubspot/deal_property_history_data.csv": (100, None),
    "fivetran-dbt-hubspot/deal_pipeline_data.csv": (6, None),
    "fivetran-dbt-hubspot/deal_pipeline_stage_data.csv": (71, None),
    "fivetran-dbt-hubspot/owner_data.csv": (100, None),
    "fivetran-dbt-hubspot/users_data.csv": (2, None),
    "fivetran-dbt-hubspot/team_data.csv": (3, None),
    "fivetran-dbt-hubspot/owner_team_data.csv": (3, None),
    "fivetran-dbt-hubspot/engagement_data.csv": (1, None),
    "fivetran-dbt-hubspot/engagement_deal_data.csv": (1, None),
    "fivetran-dbt-hubspot/engagement_call_data.csv": (1, None),
    "fivetran-dbt-hubspot/engagement_email_data.csv": (1, None),
    "fivetran-dbt-hubspot/engagement_task_data.csv": (2, None),
    "fivetran-dbt-hubspot/engagement_meeting_data.csv": (100, None),
}
# The README: "UTF-8 with BOM" for the two Salesforce-owned repositories' files.
WITH_BOM = {name for name in SHARED_TABLES if name.startswith("sfdc-")}

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"no sample data at {SHARED_DATA}"
)


@needs_shared_data
def test_every_shared_csv_has_a_known_row_count():
    found = {*sample_names()}
    assert found == set(SHARED_TABLES)


@needs_shared_data
@pytest.mark.parametrize("name", sorted(SHARED_TABLES))
def test_shared_csv_row_count_and_encoding(name):
    rows, columns = SHARED_TABLES[name]
    with open_table(sample(name)) as table:
        read = list(table)
        footer = table.skipped_footer_lines
    assert len(read) == rows
    assert table.encoding == ("utf-8-sig" if name in WITH_BOM else "utf-8")
    assert table.delimiter == ","
    assert footer == 0
    assert not any(EXTRA in row for _, row in read)
    if columns is not None:
        assert len(table.header) == columns
    if name in WITH_BOM:
        assert table.header[0] == "Id"


def test_windows_text_whose_first_accent_is_far_down_is_read_as_windows(tmp_path):
    plain = "".join(f"Account {n},Manufacturing\n" for n in range(5000))
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        ("Name,Industry\n" + plain + "Société Générale,Banking\n").encode("cp1252")
    )
    assert path.stat().st_size > 64 * 1024

    rows, table = read_all(path)

    assert table.encoding == "cp1252"
    assert len(rows) == 5001
    assert rows[-1] == (5002, {"Name": "Société Générale", "Industry": "Banking"})


def test_utf8_text_whose_first_accent_is_far_down_is_read_as_utf8(tmp_path):
    plain = "".join(f"Account {n},Manufacturing\n" for n in range(5000))
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        ("Name,Industry\n" + plain + "Société Générale,Banking\n").encode("utf-8")
    )

    rows, table = read_all(path)

    assert table.encoding == "utf-8"
    assert rows[-1] == (5002, {"Name": "Société Générale", "Industry": "Banking"})
