"""The audit log: who did what to which object, from where, before and after.

Services write entries here (record, with snapshot and changed for the before/after
columns). The log as people read it, entries in words, is in labels.py (what objects,
actions and fields are called) and words.py (stored values shown as labels, amounts,
dates and names); its public names are importable from here too.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, request

from app.extensions import db
from app.models import AuditEntry
from app.services.audit.labels import (
    ACTION_LABELS,
    CHECK_LABELS,
    FIELD_LABELS,
    FORMAT_NAMES,
    LANGUAGES,
    NAME_LABELS,
    OBJECT_LABELS,
    action_label,
    field_label,
    object_label,
)
from app.services.audit.words import (
    DATE_KEYS,
    EXPORT_MAX_ENTRIES,
    MONEY_KEYS,
    Change,
    Line,
    Names,
    display_value,
    present,
)

__all__ = [
    "record", "record_all", "entry_values", "snapshot", "changed",
    "ACTION_LABELS", "CHECK_LABELS", "FIELD_LABELS", "FORMAT_NAMES", "LANGUAGES", "NAME_LABELS",
    "OBJECT_LABELS", "action_label", "field_label", "object_label",
    "DATE_KEYS", "EXPORT_MAX_ENTRIES", "MONEY_KEYS", "Change", "Line", "Names", "display_value",
    "present",
]


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(obj, fields) -> dict:
    """The named fields of obj as JSON-ready values, for before/after columns."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry_values(action: str, obj=None, *, by=None, before=None, after=None, note=None,
                 object_type: str | None = None, object_id: int | None = None) -> dict:
    """The columns of the entry record() writes (record_all writes many such at once)."""
    return {
        "actor_id": getattr(by, "id", None),
        "ip": request.remote_addr if has_request_context() else None,
        "action": action,
        "object_type": object_type or (obj.__tablename__ if obj is not None else "system"),
        "object_id": object_id if object_id is not None else getattr(obj, "id", None),
        "before": _plain(before) if before else None,
        "after": _plain(after) if after else None,
        "note": note,
    }


def record(action: str, obj=None, *, by=None, before=None, after=None, note=None,
           object_type: str | None = None, object_id: int | None = None) -> AuditEntry:
    entry = AuditEntry(**entry_values(action, obj, by=by, before=before, after=after, note=note,
                                      object_type=object_type, object_id=object_id))
    db.session.add(entry)
    return entry


def record_all(entries: list[dict]) -> None:
    """Write many entries (entry_values dicts) in one INSERT, in their order."""
    if entries:
        db.session.execute(sa.insert(AuditEntry.__table__), entries)

