from tests.toolbox.accessibility.served import chromium, internal_site, site

__all__ = ["chromium", "internal_site", "site"]
