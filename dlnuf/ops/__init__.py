"""Running the product: `manage.py serve`, the production server and the toolbox worker side by
side on one machine.

It is its own app because it belongs to no domain and to neither face: the portal's nodes and the
gateway's nodes (``config.settings_gateway``, without the portal) both serve with it.
"""
