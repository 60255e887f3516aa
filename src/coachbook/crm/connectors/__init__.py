"""Live CRM connectors: rows read from the Salesforce and HubSpot APIs.

They give the importers the same rows a data export would, see
:class:`~coachbook.crm.connectors.base.Source`:

- :class:`coachbook.crm.connectors.salesforce.SalesforceSource`
- :class:`coachbook.crm.connectors.hubspot.HubSpotSource`

The client libraries are imported only by the module that uses them.
"""

from coachbook.crm.connectors.base import ConnectorError, Source

__all__ = ["ConnectorError", "Source"]
