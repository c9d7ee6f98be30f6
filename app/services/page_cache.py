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

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, object_session

from app.extensions import cache

log = logging.getLogger(__name__)

KEY = "editions:generation"


def _local() -> dict | None:
    """Without a shared cache, the app's own generations: kept beside the per-process cache,
    not in it, where a flood of kept pages (a new address each) would evict them and so
    renew them, throwing away what they keep (for 为您推荐, the listing and its rankings)."""
    return None if shared_cache() else current_app.extensions.setdefault("page_generations", {})


def _current(key: str) -> str:
    """The generation held under `key`; a new one if there is none (never set, or evicted)."""
    local = _local()
    value = cache.get(key) if local is None else local.get(key)
    return _renewed(key) if value is None else value


def _renewed(key: str) -> str:
    value = secrets.token_hex(8)
    local = _local()
    if local is None:
        cache.set(key, value, timeout=0)
    else:
        local[key] = value
    return value


def generation() -> str:
    return _current(KEY)


def new_generation() -> str:
    """Call after the commit of a publication or a correction."""
    return _renewed(KEY)


# ---- the generation of the data -------------------------------------------------------------
# Pages kept whole for a short while that show figures of the data (the dashboard) hold it in
# their key. Every commit of a session that wrote anything (a flush with changes, an ORM
# UPDATE, INSERT or DELETE) renews it, so the next request renders them afresh. With a
# per-process cache other processes see a renewal when their kept pages expire (30 s).
DATA_KEY = "data:generation"
_WROTE = "page_cache_wrote"


def data_generation() -> str:
    return _current(DATA_KEY)


def new_data_generation() -> str:
    return _renewed(DATA_KEY)


def _flushed(session, _context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_WROTE] = True


def _executed(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        state.session.info[_WROTE] = True


def _committed(session) -> None:
    for flag, key in _RENEWED_ON_COMMIT.items():
        if session.info.pop(flag, False) and has_app_context():
            try:
                _renewed(key)
            except Exception:  # noqa: BLE001 - cache unreachable: what is kept expires on its own
                log.warning("%s not renewed: cache unreachable", key, exc_info=True)


def _rolled_back(session) -> None:
    for flag in _RENEWED_ON_COMMIT:
        session.info.pop(flag, None)


def watch_writes() -> None:
    """Renew the data generation after each commit that wrote, and the listing generation
    after each that changed a scored fact (once per process)."""
    for name, fn in (("after_flush", _flushed), ("do_orm_execute", _executed),
                     ("after_commit", _committed), ("after_rollback", _rolled_back)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
    watch_listing()


# ---- the generation of the list's scored facts ---------------------------------------------------
# 为您推荐 keeps the listed needs' facts and their rankings (services/recommendations.py) in the
# listing generation. It is renewed after the commit of any session that changed what is listed
# or what the match score reads of a need: a need's status, amount, term or listing time, its
# instruments, its project's industry, district, zone or level (rows flushed through the ORM, and
# INSERT, UPDATE or DELETE statements on those tables run through a session). With a per-process
# cache other processes see a renewal only when their kept facts expire (LOCAL_SECONDS).
LISTING_KEY = "listing:generation"
LISTING_COLUMNS = {  # table: the columns read (None: any row inserted, changed or deleted)
    "financing_need": frozenset({"status", "amount", "term_months", "approved_at"}),
    "need_instrument": None,
    "project": frozenset({"industry_code", "district_code", "zone_code", "level"}),
}
LOCAL_SECONDS = 30
_LISTING = "page_cache_listing"
_RENEWED_ON_COMMIT = {_WROTE: DATA_KEY, _LISTING: LISTING_KEY}  # session flag: generation


def listing_generation() -> str:
    return _current(LISTING_KEY)


def new_listing_generation() -> str:
    return _renewed(LISTING_KEY)


def shared_cache() -> bool:
    """Whether every process reads the same cache (Redis), so a renewal reaches all at once."""
    return "redis" in type(cache.cache).__name__.lower()


def _flag(mapper, target, *, updated: bool) -> None:
    columns = LISTING_COLUMNS.get(mapper.local_table.name, False)
    session = object_session(target)
    if session is None or columns is False:
        return
    if updated and columns is not None:
        state = sa.inspect(target)
        if not any(state.attrs[name].history.has_changes() for name in columns):
            return
    session.info[_LISTING] = True


def _row_written(mapper, connection, target) -> None:  # inserted or deleted
    _flag(mapper, target, updated=False)


def _row_updated(mapper, connection, target) -> None:
    _flag(mapper, target, updated=True)


def _statement_run(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in LISTING_COLUMNS:
            state.session.info[_LISTING] = True


def watch_listing() -> None:
    """Flag the sessions that change a scored fact (once per process; watch_writes renews)."""
    events = [(Mapper, "after_insert", _row_written), (Mapper, "after_delete", _row_written),
              (Mapper, "after_update", _row_updated), (Session, "do_orm_execute", _statement_run)]
    for target, name, fn in events:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
