"""The connector object of each catalogue Connector, built once per process."""

from dlnuf.catalogue.selectors import ConnectorRule
from dlnuf.exchange.connectors.apistration import ApistrationConnector
from dlnuf.exchange.connectors.base import Connector
from dlnuf.exchange.connectors.rest import RestConnector

_KINDS: dict[str, type[Connector]] = {
    "api_particulier": ApistrationConnector,
    "api_entreprise": ApistrationConnector,
    "rest": RestConnector,
}

_connectors: dict[ConnectorRule, Connector] = {}


def connector_for(connector: ConnectorRule) -> Connector:
    built = _connectors.get(connector)
    if built is None:
        built = _KINDS[connector.kind](connector)
        _connectors[connector] = built
    return built
