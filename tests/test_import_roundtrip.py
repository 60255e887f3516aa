"""Property: deals written as a Salesforce export, in any of the forms exports take,
come back from the import as the same deals."""

from __future__ import annotations

import csv
import io
import string
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import connection
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coachbook.crm.importers.crm_export import CrmImporter
from coachbook.crm.importers.layouts import SALESFORCE_STAGES, salesforce_any
from coachbook.crm.importers.sources import FolderSource

ALNUM = string.ascii_letters + string.digits
SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
STAGES = sorted({stage.name for stage in SALESFORCE_STAGES.values()})


def id18(id15: str) -> str:
    """Salesforce's case-safe suffix, worked out here independently of the importer."""
    suffix = ""
    for chunk in range(3):
        bits = sum(
            1 << i
            for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5])
            if ch.isupper()
        )
        suffix += SUFFIX[bits]
    return id15 + suffix


names = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs", "Cc"], blacklist_characters="\u2028\u2029\x85"
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)

deal = st.fixed_dictionaries(
    {
        "id": st.text(alphabet=ALNUM, min_size=12, max_size=12).map(
            lambda s: "006" + s
        ),
        "name": names
        | st.sampled_from(
            ['=HYPERLINK("http://example.invalid","x")', 'Acme, "big" deal\nphase 2']
        ),
        "stage": st.sampled_from(STAGES),
        "amount": st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
        "close_date": st.dates(
            min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)
        ),
    }
)


def money(amount: Decimal, style: int) -> str:
    plain = f"{amount:.2f}"
    grouped = f"{amount:,.2f}"
    return [plain, f"${grouped}", f"USD {grouped}", grouped][style]


def day(value: date, us: bool) -> str:
    return f"{value.month}/{value.day}/{value.year}" if us else value.isoformat()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    deals=st.lists(deal, min_size=1, max_size=8, unique_by=lambda d: d["id"].lower()),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    money_style=st.integers(min_value=0, max_value=3),
    us_dates=st.booleans(),
    short_ids=st.booleans(),
)
def test_export_then_import_gives_back_the_same_deals(
    db, deals, encoding, delimiter, money_style, us_dates, short_ids
):
    if encoding == "cp1252":
        deals = [
            {**d, "name": d["name"].encode("cp1252", "replace").decode("cp1252")}
            for d in deals
        ]
    if delimiter != "," and money_style == 3:
        money_style = (
            0  # "1,234.50" alone is only unambiguous in a comma file when quoted
        )
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["Id", "Name", "StageName", "Amount", "CloseDate", "OwnerId"])
    for d in deals:
        full = id18(d["id"])
        writer.writerow(
            [
                full[:15] if short_ids else full,
                d["name"],
                d["stage"],
                money(d["amount"], money_style),
                day(d["close_date"], us_dates),
                "005000000000001",
            ]
        )
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # Windows-1252 bytes that also spell valid UTF-8 ("Â¡" is the UTF-8 of
        # "¡") cannot be told apart; such files are read as UTF-8, by design.
        try:
            assume(data.decode("utf-8") == buffer.getvalue())
        except UnicodeDecodeError:
            pass
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "Opportunity.csv").write_bytes(data)
        layout = salesforce_any()
        report = CrmImporter(
            FolderSource(Path(folder), layout), layout, as_of=date(2041, 1, 1)
        ).run()

    assert report.rejected == []
    with connection.cursor() as cursor:
        marks = ",".join(["%s"] * len(deals))
        cursor.execute(
            f"SELECT external_id, name, stage, amount, close_date FROM crm_opportunity "
            f"WHERE external_id IN ({marks})",
            [id18(d["id"]) for d in deals],
        )
        stored = {row[0]: row[1:] for row in cursor.fetchall()}
    for d in deals:
        name, stage, amount, close_date = stored[id18(d["id"])]
        assert name == d["name"][:300]
        assert stage == d["stage"]
        assert Decimal(str(amount)) == d["amount"]
        assert str(close_date) == d["close_date"].isoformat()
