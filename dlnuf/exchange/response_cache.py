"""Optional reuse of provider answers, never for personal data.

The cached value is the provider's answer before minimisation, so one entry serves every consumer
whatever their scopes; the key is a hash of what identifies the upstream call (dataset, endpoint,
target, subject parameters), never the trace parameters, which only describe the caller.
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache


def response_cache_seconds(*, holds_personal_data: bool, dataset_seconds: int) -> int:
    """How long answers of a dataset may be reused; 0 means never."""
    if holds_personal_data:
        return 0
    return dataset_seconds or max(0, int(settings.DLNUF_RESPONSE_CACHE_SECONDS))


def response_cache_key(
    *, dataset_slug: str, endpoint_name: str, target: str, params: Sequence[tuple[str, str]]
) -> str:
    material = orjson.dumps([dataset_slug, endpoint_name, target, sorted(params)])
    return "dlnuf:answer:" + hashlib.sha256(material).hexdigest()


def response_cache_get(key: str) -> tuple[Any, dict[str, Any]] | None:
    cached = cache.get(key)
    if cached is None:
        return None
    data, links = orjson.loads(cached)
    return data, links


def response_cache_put(key: str, *, data: Any, links: dict[str, Any], seconds: int) -> None:
    cache.set(key, orjson.dumps([data, links]), timeout=seconds)
