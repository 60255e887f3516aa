"""Import of the Maven Analytics "CRM Sales Opportunities" export.

The export has five files: accounts, products, sales_teams, sales_pipeline and
a data dictionary. It has no deal history, no creation dates and no open
amounts, so the importer derives what it can and says so in the report:

- stage history comes from the two dates a deal has: it entered Engaging on
  `engage_date` and was won or lost on `close_date`;
- a deal's creation date is taken to be its engage date (Prospecting deals have
  neither and count as open from the last date in the data);
- open and lost deals carry no value, so their amount is the product's list
  price, marked as such;
- `GTXPro` in the pipeline is the product `GTX Pro`.

The import runs in one transaction: any rejected row, missing file or missing
column leaves the database exactly as it was.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction

from coachbook.crm.importers.report import (
    ImportRefused,
    ImportReport,
    checksum_of,
)
from coachbook.crm.models import Account, Opportunity, Product, StageChange
from coachbook.lib.csvfiles import EXTRA, read_rows
from coachbook.lib.values import parse_amount, parse_count, parse_iso_date
from coachbook.people.models import Organisation, Person, Team

logger = logging.getLogger(__name__)

FILES = {
    "accounts": (
        "accounts.csv",
        [
            "account",
            "sector",
            "year_established",
            "revenue",
            "employees",
            "office_location",
            "subsidiary_of",
        ],
    ),
    "products": ("products.csv", ["product", "series", "sales_price"]),
    "teams": ("sales_teams.csv", ["sales_agent", "manager", "regional_office"]),
    "pipeline": (
        "sales_pipeline.csv",
        [
            "opportunity_id",
            "sales_agent",
            "product",
            "account",
            "deal_stage",
            "engage_date",
            "close_date",
            "close_value",
        ],
    ),
}

STAGES = {
    "Prospecting": (1, Opportunity.Status.OPEN),
    "Engaging": (2, Opportunity.Status.OPEN),
    "Won": (3, Opportunity.Status.WON),
    "Lost": (3, Opportunity.Status.LOST),
}
SOURCE = "maven"
CURRENCY = "USD"


def _key(name: str) -> str:
    """Names compared the way the export spells them inconsistently."""
    return name.replace(" ", "").casefold()


@dataclass
class _Deal:
    row: int
    values: dict[str, object]
    changes: list[tuple[str, str, date]]


class MavenImporter:
    def __init__(self, folder: Path, run_by: Person | None = None) -> None:
        self.folder = Path(folder)
        self.run_by = run_by
        self.paths = {name: self.folder / file for name, (file, _) in FILES.items()}
        self.report = ImportReport(source=SOURCE, location=str(self.folder))
        self._seen: set[object] = set()

    def rows(self, name: str):
        file, columns = FILES[name]
        for number, row in read_rows(self.paths[name], columns):
            self.report.count(Path(file).stem, "read")
            if EXTRA in row:
                self.report.reject(file, number, EXTRA, row[EXTRA])
                continue
            yield number, row

    def run(self) -> ImportReport:
        # Every file is read and checked before anything is written; the
        # transaction is the backstop for failures while writing.
        self.report.checksum = checksum_of(
            [p for p in self.paths.values() if p.is_file()]
        )
        try:
            with transaction.atomic():
                self._import()
                if self.report.rejected:
                    raise ImportRefused(self.report)
        except ImportRefused:
            logger.warning(
                "import refused source=%s rejected=%d checksum=%s",
                SOURCE,
                len(self.report.rejected),
                self.report.checksum[:12],
            )
        else:
            logger.info(
                "import applied source=%s checksum=%s counts=%s",
                SOURCE,
                self.report.checksum[:12],
                {t: dict(c) for t, c in self.report.counts.items()},
            )
        self.report.save_run(self.run_by)

        return self.report

    def _import(self) -> None:
        accounts = self._accounts()
        products = self._products()
        reps = self._teams()
        self._pipeline(accounts, products, reps)

    # Accounts -------------------------------------------------------------

    def _accounts(self) -> dict[str, Account]:
        file = FILES["accounts"][0]
        rows = list(self.rows("accounts"))
        names = {row["account"] for _, row in rows}
        existing = {a.external_id: a for a in Account.objects.all()}
        parents: list[tuple[Account, str]] = []

        seen: dict[str, int] = {}
        for number, row in rows:
            name = row["account"]
            if not name:
                self.report.reject(file, number, "account", "account name is empty")
                continue
            if name in seen:
                self.report.reject(
                    file, number, "account", f"'{name}' is also on row {seen[name]}"
                )
                continue
            seen[name] = number
            if row["subsidiary_of"] == name:
                self.report.reject(
                    file, number, "subsidiary_of", "an account cannot be its own parent"
                )
                continue
            if row["subsidiary_of"] and row["subsidiary_of"] not in names:
                self.report.reject(
                    file,
                    number,
                    "subsidiary_of",
                    f"parent '{row['subsidiary_of']}' is not in {file}",
                )
                continue
            try:
                employees = parse_count(row["employees"]) if row["employees"] else None
            except ValueError as exc:
                self.report.reject(file, number, "employees", str(exc))
                continue

            values = {
                "name": name,
                "sector": row["sector"],
                "office_location": row["office_location"],
                "employees": employees,
            }
            account = self._upsert(Account, existing, name, values, "accounts")
            parents.append((account, row["subsidiary_of"]))

        by_name = {a.external_id: a for a in existing.values()}
        for account, parent_name in parents:
            parent = by_name.get(parent_name) if parent_name else None
            if account.parent_id != (parent.pk if parent else None):
                account.parent = parent
                account.save(update_fields=["parent"])

        return {_key(name): account for name, account in by_name.items()}

    # Products -------------------------------------------------------------

    def _products(self) -> dict[str, Product]:
        file = FILES["products"][0]
        existing = {p.name: p for p in Product.objects.all()}

        seen: dict[str, int] = {}
        for number, row in self.rows("products"):
            if not row["product"]:
                self.report.reject(file, number, "product", "product name is empty")
                continue
            if _key(row["product"]) in seen:
                self.report.reject(
                    file,
                    number,
                    "product",
                    f"'{row['product']}' is also on row {seen[_key(row['product'])]}",
                )
                continue
            seen[_key(row["product"])] = number
            try:
                price = parse_amount(row["sales_price"])
            except ValueError as exc:
                self.report.reject(file, number, "sales_price", str(exc))
                continue
            values = {
                "series": row["series"],
                "list_price": price,
                "currency": CURRENCY,
            }
            self._upsert(
                Product, existing, row["product"], values, "products", key="name"
            )

        return {_key(name): product for name, product in existing.items()}

    # People and teams -----------------------------------------------------

    def _teams(self) -> dict[str, Person]:
        file = FILES["teams"][0]
        org = Organisation.current()
        company, _ = Team.objects.get_or_create(
            kind=Team.Kind.COMPANY, parent=None, defaults={"name": org.name}
        )
        people: dict[str, Person] = {
            p.external_id: p
            for p in Person.objects.filter(external_id__startswith="maven:")
            if p.external_id
        }
        reps: dict[str, Person] = {}
        seen: set[str] = set()

        for number, row in self.rows("teams"):
            missing = next((f for f in FILES["teams"][1] if not row[f]), None)
            if missing:
                self.report.reject(file, number, missing, f"{missing} is empty")
                continue
            if row["sales_agent"] in seen:
                self.report.reject(
                    file,
                    number,
                    "sales_agent",
                    f"'{row['sales_agent']}' is listed twice",
                )
                continue
            seen.add(row["sales_agent"])

            region = self._team(
                row["regional_office"], Team.Kind.REGION, company, "regions"
            )
            manager = self._person(
                people, row["manager"], Person.Role.MANAGER, region, "managers"
            )
            team = self._team(
                f"{row['manager']}'s team", Team.Kind.TEAM, region, "teams", manager
            )
            rep = self._person(
                people, row["sales_agent"], Person.Role.REP, team, "reps"
            )
            reps[_key(row["sales_agent"])] = rep

        return reps

    def _team(
        self,
        name: str,
        kind: str,
        parent: Team,
        table: str,
        manager: Person | None = None,
    ) -> Team:
        team, created = Team.objects.get_or_create(
            parent=parent, name=name, defaults={"kind": kind, "manager": manager}
        )
        if created:
            self.report.count(table, "created")
        elif manager and team.manager_id != manager.pk:
            team.manager = manager
            team.save(update_fields=["manager"])
            self.report.count(table, "updated")
        elif team.pk not in self._seen:
            self.report.count(table, "unchanged")
        self._seen.add(team.pk)

        return team

    def _person(
        self, people: dict[str, Person], name: str, role: str, team: Team, table: str
    ) -> Person:
        external_id = f"maven:{role}:{name}"
        person = people.get(external_id)
        if person is None:
            person = Person(
                username=Person.free_username(name),
                full_name=name,
                role=role,
                team=team,
                external_id=external_id,
            )
            person.set_unusable_password()
            person.save()
            people[external_id] = person
            self.report.count(table, "created")
        elif person.team_id != team.pk:
            person.team = team
            person.save(update_fields=["team"])
            self.report.count(table, "updated")
        elif external_id not in self._seen:
            self.report.count(table, "unchanged")
        self._seen.add(external_id)

        return person

    # Opportunities --------------------------------------------------------

    def _pipeline(
        self,
        accounts: dict[str, Account],
        products: dict[str, Product],
        reps: dict[str, Person],
    ) -> None:
        deals: dict[str, _Deal] = {}
        quirks: Counter[str] = Counter()

        for number, row in self.rows("pipeline"):
            deal = self._deal(number, row, accounts, products, reps, quirks)
            if deal is None:
                continue
            external_id = str(deal.values["external_id"])
            if external_id in deals:
                self.report.reject(
                    FILES["pipeline"][0],
                    number,
                    "opportunity_id",
                    f"'{external_id}' also appears on row {deals[external_id].row}",
                )
                continue
            deals[external_id] = deal

        self._state_choices(quirks, reps, deals)
        if self.report.rejected:
            return
        self._save_deals(deals)

    def _deal(self, number, row, accounts, products, reps, quirks) -> _Deal | None:
        file = FILES["pipeline"][0]

        def reject(field: str, reason: str) -> _Deal | None:
            self.report.reject(file, number, field, reason)
            return None

        if not row["opportunity_id"]:
            return reject("opportunity_id", "opportunity_id is empty")
        rep = reps.get(_key(row["sales_agent"]))
        if rep is None:
            return reject(
                "sales_agent",
                f"'{row['sales_agent']}' is not a sales agent in {FILES['teams'][0]}",
            )
        product = products.get(_key(row["product"]))
        if product is None:
            return reject(
                "product", f"'{row['product']}' is not in {FILES['products'][0]}"
            )
        if product.name != row["product"]:
            quirks[f"product '{row['product']}' read as '{product.name}'"] += 1
        account = accounts.get(_key(row["account"])) if row["account"] else None
        if row["account"] and account is None:
            return reject(
                "account", f"'{row['account']}' is not in {FILES['accounts'][0]}"
            )
        if row["deal_stage"] not in STAGES:
            return reject(
                "deal_stage",
                f"'{row['deal_stage']}' is not one of {', '.join(STAGES)}",
            )
        position, status = STAGES[row["deal_stage"]]

        dates: dict[str, date | None] = {}
        for field in ("engage_date", "close_date"):
            try:
                dates[field] = parse_iso_date(row[field]) if row[field] else None
            except ValueError as exc:
                return reject(field, str(exc))
        engaged, closed = dates["engage_date"], dates["close_date"]
        if status != Opportunity.Status.OPEN and not (engaged and closed):
            field = "close_date" if engaged else "engage_date"
            return reject(field, f"a {row['deal_stage']} deal needs an {field}")
        if row["deal_stage"] == "Engaging" and not engaged:
            return reject("engage_date", "an Engaging deal needs an engage_date")
        if engaged and closed and closed < engaged:
            return reject(
                "close_date", f"closes on {closed}, before it was engaged on {engaged}"
            )

        if status == Opportunity.Status.WON:
            try:
                amount = parse_amount(row["close_value"])
            except ValueError as exc:
                return reject("close_value", str(exc))
            from_list = False
        else:
            amount, from_list = product.list_price, True
        if not account:
            quirks["deals with no account"] += 1
        if status == Opportunity.Status.OPEN and not engaged:
            quirks["open deals with no dates"] += 1

        changes: list[tuple[str, str, date]] = []
        if engaged:
            changes.append(("", "Engaging", engaged))
        if closed:
            changes.append(("Engaging", row["deal_stage"], closed))

        values = {
            "external_id": row["opportunity_id"],
            "source": SOURCE,
            "name": f"{product.name} for {account.name if account else 'an unnamed account'}",
            "owner_id": rep.pk,
            "account_id": account.pk if account else None,
            "product_id": product.pk,
            "stage": row["deal_stage"],
            "stage_position": position,
            "status": status,
            "amount": amount,
            "amount_is_list_price": from_list,
            "currency": CURRENCY,
            "created_on": engaged,
            "stage_entered_on": closed or engaged,
            "close_date": closed,
            "next_step": None,
            "decision_process": None,
        }
        if status != Opportunity.Status.OPEN:
            self.report.data_as_of = max(filter(None, [self.report.data_as_of, closed]))
        if engaged:
            self.report.data_as_of = max(
                filter(None, [self.report.data_as_of, engaged])
            )

        return _Deal(number, values, changes)

    def _state_choices(self, quirks: Counter[str], reps, deals) -> None:
        notes = self.report.notes
        notes.append(
            "Stage history is derived from the dates in the file: a deal entered "
            "Engaging on its engage_date and was won or lost on its close_date."
        )
        notes.append(
            "The file has no creation date; a deal counts from its engage_date. "
            "Prospecting deals have no dates and count as open from the last date in the data."
        )
        notes.append(
            "Open and lost deals carry no value in the file; their amount is the "
            "product's list price."
        )
        notes.append(f"Amounts are taken to be in {CURRENCY}; the file does not say.")
        for quirk, n in sorted(quirks.items()):
            notes.append(f"{n} rows: {quirk}.")
        with_deals = {v.values["owner_id"] for v in deals.values()}
        idle = sorted(str(r) for r in reps.values() if r.pk not in with_deals)
        if idle:
            notes.append(f"{len(idle)} reps have no deals: {', '.join(idle)}.")
        if self.report.data_as_of:
            notes.append(
                f"Figures are as of {self.report.data_as_of.isoformat()}, the last date in the data."
            )

    def _save_deals(self, deals: dict[str, _Deal]) -> None:
        existing = {o.external_id: o for o in Opportunity.objects.filter(source=SOURCE)}
        fields = (
            [f for f in next(iter(deals.values())).values if f != "external_id"]
            if deals
            else []
        )
        to_create, to_update = [], []

        for external_id, deal in deals.items():
            current = existing.get(external_id)
            if current is None:
                to_create.append(Opportunity(**deal.values))
            elif any(getattr(current, f) != deal.values[f] for f in fields):
                for f in fields:
                    setattr(current, f, deal.values[f])
                to_update.append(current)
            else:
                self.report.count("sales_pipeline", "unchanged")
        Opportunity.objects.bulk_create(to_create, batch_size=1000)
        if to_update:
            Opportunity.objects.bulk_update(to_update, fields, batch_size=1000)
        self.report.count("sales_pipeline", "created", len(to_create))
        self.report.count("sales_pipeline", "updated", len(to_update))

        self._save_history(deals)

    def _save_history(self, deals: dict[str, _Deal]) -> None:
        ids = dict(
            Opportunity.objects.filter(source=SOURCE).values_list("external_id", "pk")
        )
        wanted = {
            (ids[external_id], frm, to, on)
            for external_id, deal in deals.items()
            for frm, to, on in deal.changes
        }
        # Only the history of deals in this file is rebuilt; a deal missing
        # from a later export keeps the history it had.
        in_file = {ids[external_id] for external_id in deals}
        have = {
            (c.opportunity_id, c.from_stage, c.to_stage, c.changed_on): c.pk
            for c in StageChange.objects.filter(
                derived=True, opportunity__source=SOURCE
            )
            if c.opportunity_id in in_file
        }
        stale = [pk for key, pk in have.items() if key not in wanted]
        StageChange.objects.filter(pk__in=stale).delete()
        StageChange.objects.bulk_create(
            [
                StageChange(
                    opportunity_id=opp,
                    from_stage=frm,
                    to_stage=to,
                    changed_on=on,
                    derived=True,
                )
                # Created in the order they happened, so same-day moves keep it.
                for opp, frm, to, on in sorted(
                    wanted - have.keys(), key=lambda c: (c[0], c[3], c[1] != "")
                )
            ],
            batch_size=2000,
        )
        self.report.count("stage_history", "created", len(wanted - have.keys()))
        self.report.count("stage_history", "removed", len(stale))

    # Shared ---------------------------------------------------------------

    def _upsert(
        self,
        model,
        existing: dict,
        key_value: str,
        values: dict,
        table: str,
        key="external_id",
    ):
        obj = existing.get(key_value)
        if obj is None:
            obj = model.objects.create(**{key: key_value}, **values)
            existing[key_value] = obj
            self.report.count(table, "created")
        elif any(getattr(obj, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(obj, f, v)
            obj.save(update_fields=list(values))
            self.report.count(table, "updated")
        else:
            self.report.count(table, "unchanged")

        return obj


def import_maven(folder: Path, run_by: Person | None = None) -> ImportReport:
    report = MavenImporter(folder, run_by).run()
    if report.applied and report.data_as_of:
        org = Organisation.current()
        org.data_as_of = report.data_as_of
        org.save(update_fields=["data_as_of"])

    return report
