"""The generation of published editions, held in the shared cache (Flask-Caching).

A publication or a correction changes more than its own revision: the banners of the
revisions it supersedes, and which revision an address without ?rev= shows. Every cached
part or page of an edition (app/editions/fragments.py) holds the generation in its key,
and each publication renews it once committed, for every process sharing the cache. A
generation evicted from the cache is renewed too, so a key of an earlier generation can
never come back. With a per-process cache (no REDIS_URL) other processes see a renewal
only when their entries expire (CACHE_DEFAULT_TIMEOUT)."""

import secrets

from app.extensions import cache

KEY = "editions:generation"


def generation() -> str:
    value = cache.get(KEY)
    if value is None:
        value = new_generation()
    return value


def new_generation() -> str:
    """Call after the commit of a publication or a correction."""
    value = secrets.token_hex(8)
    cache.set(KEY, value, timeout=0)
    return value
