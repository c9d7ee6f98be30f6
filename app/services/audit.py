"""The audit log: who did what to which object, from where, before and after."""

import enum
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditEntry
from app.reference import label


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


def record(action: str, obj=None, *, by=None, before=None, after=None, note=None,
           object_type: str | None = None, object_id: int | None = None) -> AuditEntry:
    ip = None
    if has_request_context():
        ip = request.remote_addr
    entry = AuditEntry(
        actor_id=getattr(by, "id", None),
        ip=ip,
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "system"),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        before=_plain(before) if before else None,
        after=_plain(after) if after else None,
        note=note,
    )
    db.session.add(entry)
    return entry


# ---- labels for the audit log page ---------------------------------------------------------
OBJECT_LABELS = {
    "organization": _l("Organisation"),
    "user": _l("User"),
    "project": _l("Project"),
    "financing_need": _l("Financing need"),
    "attachment": _l("Attachment"),
    "api_token": _l("API token"),
    "edition": _l("List edition"),
    "edition_item": _l("Edition item"),
    "saved_search": _l("Saved search"),
    "system": _l("System"),
}

ACTION_LABELS = {
    "organization.register": _l("Registered the organisation"),
    "organization.create": _l("Created the organisation"),
    "user.register": _l("Registered"),
    "user.request_join": _l("Asked to join the organisation"),
    "user.create": _l("Created the account"),
    "user.login": _l("Logged in"),
    "user.login_failed": _l("Failed login"),
    "user.locked": _l("Locked after failed logins"),
    "user.register_attempt": _l("Someone tried to register with the address"),
    "user.profile": _l("Changed the profile"),
    "user.role": _l("Changed the role"),
    "user.password_changed": _l("Changed the password"),
    "user.password_reset_requested": _l("Asked for a password reset"),
    "user.password_reset": _l("Reset the password"),
    "api_token.create": _l("Created an API token"),
    "api_token.revoke": _l("Revoked an API token"),
    "project.create": _l("Created the project"),
    "project.update": _l("Edited the project"),
    "financing_need.create": _l("Created the financing need"),
    "financing_need.update": _l("Edited the financing need"),
    "financing_need.view_contact": _l("Viewed the contact details"),
    "attachment.add": _l("Uploaded an attachment"),
    "attachment.delete": _l("Deleted an attachment"),
    "edition.compile": _l("Opened the edition for compiling"),
    "edition.add_item": _l("Added an item"),
    "edition.remove_item": _l("Removed an item"),
    "edition.sort": _l("Reordered the items"),
    "edition.justify": _l("Justified a readiness flag"),
    "edition.request_publication": _l("Asked for publication"),
    "edition.correct": _l("Opened a correction"),
    "edition_item.view_contact": _l("Viewed the contact details"),
    "saved_search.create": _l("Saved a search"),
    "saved_search.delete": _l("Deleted a saved search"),
}


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def action_label(action: str) -> str:
    """The action in words; status changes (“financing_need.approved”) name the new status."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    from app.services.workflow import TRANSITIONS

    table, _dot, status = action.partition(".")
    for model in TRANSITIONS:
        if model.__tablename__ == table:
            try:
                new = next(s for s in TRANSITIONS[model] if s.value == status)
            except StopIteration:
                break
            return str(_l("Status changed to %(status)s", status=label(new)))
    return action
