"""Pick the sandbox identity a benchmark calls with, from the sandbox's own cases."""

import os
import urllib.parse


def found_case_query(dataset_slug: str) -> str:
    """Query string (subject parameters only) of the first "found" identity of a dataset."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from dlnuf.sandbox.cases import sandbox_identities

    identity = next(i for i in sandbox_identities(dataset_slug) if i.outcome == "found")
    return urllib.parse.urlencode(identity.params, doseq=True)
