"""The generation of published editions, held in the shared cache (Flask-Caching).

A publication or a correction changes more than its own revision: the banners of the
revisions it supersedes, and which revision an address without ?rev= shows. Every cached
part or page of an edition (app/editions/fragments.py) holds the generation in its key,
and each publication renews it once committed, for every process sharing the cache. A
generation evicted from the cache is renewed too, so a key of an earlier generation can
never come back. With a per-process cache (no REDIS_URL) other processes see a renewal
only when their entries expire (CACHE_DEFAULT_TIMEOUT)."""

import logging
import secrets

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import cache

log = logging.getLogger(__name__)

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


# ---- the generation of the data -------------------------------------------------------------
# Pages kept whole for a short while that show figures of the data (the dashboard) hold it in
# their key. Every commit of a session that wrote anything (a flush with changes, an ORM
# UPDATE, INSERT or DELETE) renews it, so the next request renders them afresh. With a
# per-process cache other processes see a renewal when their kept pages expire (30 s).
DATA_KEY = "data:generation"
_WROTE = "page_cache_wrote"


def data_generation() -> str:
    value = cache.get(DATA_KEY)
    if value is None:
        value = new_data_generation()
    return value


def new_data_generation() -> str:
    value = secrets.token_hex(8)
    cache.set(DATA_KEY, value, timeout=0)
    return value


def _flushed(session, _context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_WROTE] = True


def _executed(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info[_WROTE] = True


def _committed(session) -> None:
    if session.info.pop(_WROTE, False) and has_app_context():
        try:
            new_data_generation()
        except Exception:  # noqa: BLE001 - cache unreachable: kept pages expire on their own
            log.warning("data generation not renewed: cache unreachable", exc_info=True)


def _rolled_back(session) -> None:
    session.info.pop(_WROTE, None)


def watch_writes() -> None:
    """Renew the data generation after each commit that wrote (once per process)."""
    for name, fn in (("after_flush", _flushed), ("do_orm_execute", _executed),
                     ("after_commit", _committed), ("after_rollback", _rolled_back)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
