"""How the gateway reaches providers. Connectors know nothing of Django requests: they take a
call described by plain values and return the provider's data or raise ProviderFailure."""
