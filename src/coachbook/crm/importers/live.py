"""Live imports: the CRM's API read through its connector, into the same importer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from coachbook.crm.connectors.base import Source

# The importer asks for layout objects; the HubSpot connector names them by API.
HUBSPOT_OBJECTS = {
    "opportunity": "deals",
    "history": "deal_stage_history",
    "user": "owners",
    "team": "teams",
    "stages": "pipeline_stages",
    "call": "calls",
    "email": "emails",
    "meeting": "meetings",
    "hs_task": "tasks",
}


class RenamedSource:
    """A connector whose objects are asked for by the layout's names."""

    def __init__(self, source: Source, names: dict[str, str]) -> None:
        self.source = source
        self.names = names
        self.label = source.label

    def objects(self) -> list[str]:
        api = {name.casefold() for name in self.source.objects()}
        return [obj for obj, name in self.names.items() if name.casefold() in api]

    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None:
        name = self.names.get(obj)
        return self.source.rows(name) if name else None

    def checksum(self) -> str:
        return self.source.checksum()


def live_source(crm: str, since: datetime | None = None):
    """The connector for a CRM, ready for the importer; credentials from the environment."""
    if crm == "salesforce":
        from coachbook.crm.connectors.salesforce import SalesforceSource

        return SalesforceSource(since=since)
    from coachbook.crm.connectors.hubspot import HubSpotSource

    return RenamedSource(HubSpotSource(since=since), HUBSPOT_OBJECTS)
