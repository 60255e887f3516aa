"""How a CRM's export maps onto coachbook: columns per object, and the stage list.

Each source ships a layout. A customised org overrides parts of it with a
small TOML file, for example:

    [opportunity.columns]
    segment = "Segment__c"

    [stages."Verbal Commit"]
    name = "Negotiation"
    order = 8
    category = "open"

    [options]
    day_first = true

Only what the file names changes; everything else keeps the shipped value.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = ("open", "won", "lost")


@dataclass(frozen=True)
class Stage:
    """A stage as coachbook knows it: its name, place in the order, and category."""

    name: str
    order: int
    category: str


@dataclass
class ObjectLayout:
    """One CRM object: the file names it comes in, and which column holds each field.

    A column entry may list several names; the first one present in the file is
    used, so one layout reads both a report export and a data loader export.
    """

    files: list[str]
    columns: dict[str, list[str]]
    required: list[str] = field(default_factory=list)


@dataclass
class Layout:
    source: str
    objects: dict[str, ObjectLayout]
    stages: dict[str, Stage]
    kinds: dict[str, str]
    # Objects that hold activities, with the kind a row has when it says none.
    activity_objects: dict[str, str] = field(
        default_factory=lambda: {"task": "task", "event": "meeting"}
    )
    day_first: bool = False
    decimal_comma: bool = False

    @property
    def title(self) -> str:
        """The CRM's name as its maker writes it."""
        return {"hubspot": "HubSpot", "salesforce": "Salesforce"}.get(
            self.source, self.source.title()
        )

    def stage(self, label: str) -> Stage | None:
        return self.stages.get(label.strip().casefold())

    def with_overrides(self, path: Path) -> Layout:
        """This layout with a user's mapping file applied.

        Every problem in the file is listed at once, each naming the file and
        the key, so one round of fixes is enough.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError as exc:
            raise LayoutProblem(f"{path}: there is no such mapping file") from exc
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LayoutProblem(
                f"{path}: cannot be read as a mapping file ({exc})"
            ) from exc
        layout = copy.deepcopy(self)
        problems: list[str] = []
        for key, value in data.items():
            if key not in ("stages", "kinds", "options", *layout.objects):
                problems.append(
                    f"'{key}' is not something a {self.source} mapping can set; use "
                    f"{', '.join(sorted(layout.objects))}, stages, kinds or options"
                )
            elif not isinstance(value, dict):
                problems.append(f"'{key}' must be a section, written [{key}]")
            elif key == "stages":
                layout.stages.update(_stages(value, problems))
            elif key == "kinds":
                layout.kinds.update(_kinds(value, problems))
            elif key == "options":
                _options(layout, value, problems)
            else:
                _object(key, layout.objects[key], value, problems)
        if problems:
            raise LayoutProblem(f"{path}: " + "; ".join(problems))
        return layout


class LayoutProblem(Exception):
    pass


def _names(value: Any) -> list[str] | None:
    """A column or file name, or a list of them; None when it is neither."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        return None
    if not all(isinstance(n, str) and n.strip() for n in names):
        return None
    return [n.strip() for n in names]


def _object(
    key: str, spec: ObjectLayout, value: dict[str, Any], problems: list[str]
) -> None:
    for part in value:
        if part not in ("columns", "files"):
            problems.append(f"[{key}] can set columns and files, not '{part}'")
    columns = value.get("columns", {})
    if not isinstance(columns, dict):
        problems.append(f'[{key}.columns] must be a section of field = "Column"')
        columns = {}
    for name, given in columns.items():
        if name not in spec.columns:
            problems.append(
                f"[{key}.columns] has no field '{name}'; the fields are "
                + ", ".join(sorted(spec.columns))
            )
        elif (names := _names(given)) is None:
            problems.append(
                f"[{key}.columns] {name} must be a column name in quotes, or a list "
                "of them"
            )
        else:
            spec.columns[name] = names
    if "files" in value:
        files = _names(value["files"])
        if files is None:
            problems.append(f"[{key}] files must be a file name in quotes, or a list")
        else:
            spec.files = files


def _kinds(table: dict[str, Any], problems: list[str]) -> dict[str, str]:
    kinds = {}
    for label, kind in table.items():
        if not isinstance(kind, str) or kind.casefold() not in KINDS:
            problems.append(
                f"under [kinds], {label} must be one of {', '.join(KINDS)} in quotes"
            )
        else:
            kinds[label.casefold()] = kind.casefold()
    return kinds


OPTIONS = ("day_first", "decimal_comma")


def _options(layout: Layout, table: dict[str, Any], problems: list[str]) -> None:
    for name, value in table.items():
        if name not in OPTIONS:
            problems.append(
                f"[options] has no '{name}'; the options are {', '.join(OPTIONS)}"
            )
        elif not isinstance(value, bool):
            problems.append(f"[options] {name} must be true or false, without quotes")
        else:
            setattr(layout, name, value)


# Stage orders are kept in a small whole number on each deal.
MAX_STAGE_ORDER = 32767
STAGE_KEYS = ("name", "order", "category")


def _stages(table: dict[str, Any], problems: list[str]) -> dict[str, Stage]:
    stages = {}
    for label, spec in table.items():
        where = f"stage '{label}'"
        before = len(problems)
        if not isinstance(spec, dict):
            problems.append(
                f'{where} must be a section, written [stages."{label}"] with its '
                "name, order and category under it"
            )
            continue
        for key in spec:
            if key not in STAGE_KEYS:
                problems.append(
                    f"{where} has '{key}'; a stage has {', '.join(STAGE_KEYS)}"
                )
        category = spec.get("category", "open")
        order = spec.get("order", 0)
        name = spec.get("name", label)
        if category not in CATEGORIES:
            problems.append(f"{where} has category '{category}'; use open, won or lost")
        if (
            not isinstance(order, int)
            or isinstance(order, bool)
            or not 0 <= order <= MAX_STAGE_ORDER
        ):
            problems.append(
                f"{where} has order {order!r}; use a whole number from 0 to "
                f"{MAX_STAGE_ORDER}, without quotes"
            )
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            problems.append(f"{where} needs a name of 1 to 100 characters, in quotes")
        if len(problems) == before:
            stages[label.strip().casefold()] = Stage(
                name=name.strip(), order=order, category=category
            )
    return stages


def _stage_list(rows: list[tuple[str, str, int, str]]) -> dict[str, Stage]:
    return {
        label.casefold(): Stage(name, order, category)
        for label, name, order, category in rows
    }


# Salesforce's default stage picklist and the common renamings of it. The
# names are kept as the CRM says them; the order puts them on one scale.
SALESFORCE_STAGES = _stage_list(
    [
        ("Prospecting", "Prospecting", 1, "open"),
        ("Qualification", "Qualification", 2, "open"),
        ("Needs Analysis", "Needs Analysis", 3, "open"),
        ("Discovery", "Discovery", 3, "open"),
        ("Value Proposition", "Value Proposition", 4, "open"),
        ("Id. Decision Makers", "Id. Decision Makers", 5, "open"),
        ("Perception Analysis", "Perception Analysis", 6, "open"),
        ("Proposal/Price Quote", "Proposal/Price Quote", 7, "open"),
        ("Proposal/Quote", "Proposal/Quote", 7, "open"),
        ("Proposal", "Proposal", 7, "open"),
        ("Negotiation/Review", "Negotiation/Review", 8, "open"),
        ("Negotiation", "Negotiation", 8, "open"),
        ("Closed Won", "Closed Won", 9, "won"),
        ("Closed Lost", "Closed Lost", 9, "lost"),
    ]
)

ACTIVITY_KINDS = {
    "call": "call",
    "calls": "call",
    "email": "email",
    "emails": "email",
    "meeting": "meeting",
    "meetings": "meeting",
    "task": "task",
    "tasks": "task",
    "todo": "task",
    # Salesforce's own subtypes.
    "listemail": "email",
    "list email": "email",
    "event": "meeting",
}
KINDS = ("call", "email", "meeting", "task")
# Types that say "none of the above": the object's own kind, without a note.
NO_KIND = frozenset({"other", "none", "-"})


def salesforce() -> Layout:
    """Salesforce objects as Data Loader, Workbench and the Data Export service write them."""
    return Layout(
        source="salesforce",
        objects={
            "user": ObjectLayout(
                files=["User.csv"],
                columns={
                    "id": ["Id"],
                    "name": ["Name"],
                    "first_name": ["FirstName"],
                    "last_name": ["LastName"],
                    "email": ["Email"],
                    "manager": ["ManagerId"],
                    "active": ["IsActive"],
                    "time_zone": ["TimeZoneSidKey"],
                },
                required=["id"],
            ),
            "account": ObjectLayout(
                files=["Account.csv"],
                columns={
                    "id": ["Id"],
                    "name": ["Name"],
                    "sector": ["Industry"],
                    "parent": ["ParentId"],
                    "employees": ["NumberOfEmployees"],
                },
                required=["id", "name"],
            ),
            "opportunity": ObjectLayout(
                files=["Opportunity.csv"],
                columns={
                    "id": ["Id"],
                    "name": ["Name"],
                    "account": ["AccountId"],
                    "owner": ["OwnerId"],
                    "stage": ["StageName"],
                    "amount": ["Amount"],
                    "currency": ["CurrencyIsoCode"],
                    "probability": ["Probability"],
                    "close_date": ["CloseDate"],
                    "next_step": ["NextStep"],
                    "created": ["CreatedDate"],
                    "is_closed": ["IsClosed"],
                    "is_won": ["IsWon"],
                    "segment": [],
                },
                required=["id", "stage"],
            ),
            "history": ObjectLayout(
                files=["OpportunityHistory.csv"],
                columns={
                    "id": ["Id"],
                    "opportunity": ["OpportunityId"],
                    "stage": ["StageName"],
                    "amount": ["Amount"],
                    "close_date": ["CloseDate"],
                    "probability": ["Probability"],
                    "created": ["CreatedDate"],
                },
                required=["opportunity", "stage", "created"],
            ),
            "task": ObjectLayout(
                files=["Task.csv"],
                columns={
                    "id": ["Id"],
                    "owner": ["OwnerId"],
                    "what": ["WhatId"],
                    "account": ["AccountId"],
                    "subject": ["Subject"],
                    # Type first; a custom Type__c next; TaskSubtype says little.
                    "kind": ["Type", "Type__c", "TaskSubtype"],
                    "when": ["ActivityDate", "CreatedDate"],
                },
                required=["id", "owner"],
            ),
            "event": ObjectLayout(
                files=["Event.csv"],
                columns={
                    "id": ["Id"],
                    "owner": ["OwnerId"],
                    "what": ["WhatId"],
                    "account": ["AccountId"],
                    "subject": ["Subject"],
                    "kind": ["Type", "EventSubtype"],
                    "when": ["ActivityDateTime", "StartDateTime", "ActivityDate"],
                },
                required=["id", "owner"],
            ),
        },
        stages=dict(SALESFORCE_STAGES),
        kinds=dict(ACTIVITY_KINDS),
    )


def _engagement(
    file: str, owner: str, when: list[str], subject: list[str]
) -> ObjectLayout:
    return ObjectLayout(
        files=[file],
        columns={
            "id": ["engagement_id", "hs_object_id", "id"],
            "owner": [owner, "hubspot_owner_id"],
            "when": when + ["hs_timestamp"],
            "subject": subject
            + [
                "hs_call_title",
                "hs_email_subject",
                "hs_meeting_title",
                "hs_task_subject",
            ],
            "what": ["associated_deal_ids"],
        },
        required=["id"],
    )


def hubspot() -> Layout:
    """HubSpot objects as its data sync to a warehouse (Fivetran's layout) writes them.

    Deal stages are ids; their labels, order and whether they close the deal
    come from the pipeline stages file. Activities are linked to deals through
    the engagement-to-deal file.
    """
    return Layout(
        source="hubspot",
        objects={
            "stages": ObjectLayout(
                files=["deal_pipeline_stage_data.csv", "pipeline_stages.csv"],
                columns={
                    "id": ["stage_id", "id"],
                    "label": ["label"],
                    "order": ["display_order", "displayOrder"],
                    "is_closed": ["is_closed", "isClosed"],
                    "is_won": ["closed_won"],
                },
                required=["id"],
            ),
            "user": ObjectLayout(
                files=["owner_data.csv", "owners.csv"],
                columns={
                    "id": ["owner_id", "id"],
                    "first_name": ["first_name", "firstName"],
                    "last_name": ["last_name", "lastName"],
                    "email": ["email"],
                    "active": [],
                },
                required=["id"],
            ),
            "team": ObjectLayout(
                files=["team_data.csv", "teams.csv"],
                columns={"id": ["id", "team_id"], "name": ["name"]},
                required=["id"],
            ),
            "team_member": ObjectLayout(
                files=["owner_team_data.csv"],
                columns={
                    "person": ["owner_id"],
                    "team": ["team_id"],
                    "primary": ["is_team_primary"],
                },
                required=["person", "team"],
            ),
            "account": ObjectLayout(
                files=["company_data.csv", "companies.csv"],
                columns={
                    "id": ["company_id", "id"],
                    "name": ["property_name", "name"],
                    "sector": ["property_industry", "industry"],
                    "parent": [],
                    "employees": ["property_numberofemployees"],
                },
                required=["id", "name"],
            ),
            "opportunity": ObjectLayout(
                files=["deal_data.csv", "deals.csv"],
                columns={
                    "id": ["deal_id", "hs_object_id"],
                    "name": ["property_dealname", "dealname"],
                    "account": [],
                    "owner": [
                        "owner_id",
                        "property_hubspot_owner_id",
                        "hubspot_owner_id",
                    ],
                    "stage": [
                        "deal_pipeline_stage_id",
                        "property_dealstage",
                        "dealstage",
                    ],
                    "amount": ["property_amount", "amount"],
                    "currency": ["property_deal_currency_code", "deal_currency_code"],
                    "probability": [],
                    "close_date": ["property_closedate", "closedate"],
                    "next_step": ["property_hs_next_step", "hs_next_step"],
                    "created": ["property_createdate", "createdate"],
                    "segment": [],
                },
                required=["id", "stage"],
            ),
            "history": ObjectLayout(
                files=["deal_stage_data.csv", "deal_stage_history.csv"],
                columns={
                    "id": [],
                    "opportunity": ["deal_id"],
                    "stage": ["value", "stage"],
                    "amount": [],
                    "close_date": [],
                    "probability": [],
                    "created": ["date_entered"],
                },
                required=["opportunity", "stage", "created"],
            ),
            "activity_deal": ObjectLayout(
                files=["engagement_deal_data.csv"],
                columns={"activity": ["engagement_id"], "deal": ["deal_id"]},
                required=["activity", "deal"],
            ),
            "call": _engagement(
                "engagement_call_data.csv",
                "property_hubspot_owner_id",
                ["property_hs_timestamp", "property_hs_createdate"],
                ["property_hs_call_title"],
            ),
            "email": _engagement(
                "engagement_email_data.csv",
                "property_hubspot_owner_id",
                ["property_hs_timestamp", "property_hs_createdate"],
                ["property_hs_email_subject"],
            ),
            "meeting": _engagement(
                "engagement_meeting_data.csv",
                "property_hubspot_owner_id",
                [
                    "start_time",
                    "property_hs_meeting_start_time",
                    "property_hs_timestamp",
                ],
                ["title", "property_hs_meeting_title"],
            ),
            "hs_task": _engagement(
                "engagement_task_data.csv",
                "property_hubspot_owner_id",
                ["property_hs_timestamp", "property_hs_createdate"],
                ["property_hs_task_subject"],
            ),
        },
        stages={},
        kinds=dict(ACTIVITY_KINDS),
        activity_objects={
            "call": "call",
            "email": "email",
            "meeting": "meeting",
            "hs_task": "task",
        },
    )


def snake(name: str) -> str:
    """A Salesforce API name as warehouse syncs write it: StageName → stage_name, Type__c → type_c."""
    name = name.replace("__", "_")
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit()):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def salesforce_any() -> Layout:
    """The Salesforce layout, also reading warehouse-sync copies (sf_opportunity_data.csv, stage_name)."""
    layout = salesforce()
    sync_files = {
        "user": "sf_user_data.csv",
        "account": "sf_account_data.csv",
        "opportunity": "sf_opportunity_data.csv",
        "task": "sf_task_data.csv",
        "event": "sf_event_data.csv",
    }
    for obj, spec in layout.objects.items():
        if obj in sync_files:
            spec.files.append(sync_files[obj])
        for field_name, candidates in spec.columns.items():
            spec.columns[field_name] = candidates + [
                snake(c) for c in candidates if snake(c) not in candidates
            ]
    # A warehouse sync in history mode keeps every version of each deal: a
    # row per change, valid from _fivetran_start. Each version is read as a
    # history row of the deal in `id`, dated when it began.
    layout.objects["history_versions"] = ObjectLayout(
        files=["sf_opportunity_history_data.csv"],
        columns={
            "opportunity": ["id"],
            "stage": ["stage_name"],
            "amount": ["amount"],
            "close_date": ["close_date"],
            "probability": ["probability"],
            "created": ["_fivetran_start"],
        },
        required=["opportunity", "stage", "created"],
    )
    return layout


LAYOUTS = {"salesforce": salesforce_any, "hubspot": hubspot}
