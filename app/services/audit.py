"""The audit log: who did what to which object, from where, before and after."""

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
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
    "user.appoint": _l("Appointed an administrator"),
    "user.password_changed": _l("Changed the password"),
    "user.password_reset_requested": _l("Asked for a password reset"),
    "user.password_reset": _l("Reset the password"),
    "api_token.create": _l("Created an API token"),
    "api_token.revoke": _l("Revoked an API token"),
    "project.create": _l("Created the project"),
    "project.update": _l("Edited the project"),
    "financing_need.create": _l("Created the financing need"),
    "financing_need.update": _l("Edited the financing need"),
    "financing_need.delete": _l("Deleted the draft financing need"),
    "financing_need.view_contact": _l("Viewed the contact details"),
    "attachment.add": _l("Uploaded an attachment"),
    "attachment.delete": _l("Deleted an attachment"),
    "edition.compile": _l("Opened the edition for compiling"),
    "edition.add_item": _l("Added an item"),
    "edition.remove_item": _l("Removed an item"),
    "edition.sort": _l("Reordered the items"),
    "edition.justify": _l("Justified a readiness flag"),
    "edition.request_publication": _l("Asked for publication"),
    "edition.send_back": _l("Sent the publication request back"),
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


# ---- the log as a civil servant reads it ------------------------------------------------------
# Entries store codes (enum values, ids, ISO dates, 万元 as decimal strings); the page and the
# Excel export show words: field labels, enum labels, amounts in 万元/亿元, Beijing time and the
# names of organisations, users and projects (looked up in one query per kind of object).
OBJECT_LABELS["audit_log"] = _l("Audit log")
ACTION_LABELS.update({
    "edition.export_contacts": _l("Downloaded a selection with contact details"),
    "audit_log.export": _l("Exported the audit log"),
})
OBJECT_LABELS["job"] = _l("Background job")
ACTION_LABELS["job.retry"] = _l("Retried a background job")

FIELD_LABELS = {
    "code": _l("Project code"), "level": _l("Level"), "category": _l("Category"),
    "industry_code": _l("Industry"), "district_code": _l("District"), "zone_code": _l("Functional zone"),
    "total_investment": _l("Total investment"), "annual_planned_investment": _l("Annual planned investment"),
    "stage": _l("Stage"), "reserve_substage": _l("Reserve sub-stage"),
    "planned_start": _l("Planned start"), "planned_completion": _l("Planned completion"),
    "actual_start": _l("Actual start"), "actual_completion": _l("Actual completion"),
    "is_priority": _l("Priority project (重点推进)"), "description": _l("Description"),
    "amount": _l("Amount sought"), "instruments": _l("Financing instruments"), "term_months": _l("Term (months)"),
    "cost_ceiling": _l("Acceptable cost ceiling (% a year)"), "use_of_funds": _l("Use of funds"),
    "credit_enhancements": _l("Credit enhancement offered"), "funds_secured": _l("Financing already in place"),
    "contact_name": _l("Contact person"), "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact e-mail"), "status": _l("Status"), "role": _l("Role"),
    "org_id": _l("Organisation"), "org": _l("Organisation"), "kind": _l("Organisation type"),
    "phone": _l("Phone"), "title": _l("Position"), "locale": _l("Language"), "prefix": _l("Starts with"),
    "filename": _l("File name"), "size": _l("File size"), "year": _l("Year"), "period": _l("Period"),
    "items": _l("Number of items"), "rows": _l("Number of entries"), "need_id": _l("Financing need"),
    "sort_order": _l("Order items by"), "check": _l("Readiness check"), "reason": _l("Reason"),
    "revision": _l("Revision"), "filters": _l("Filters"), "audit_filters": _l("Filters"),
    "format": _l("File format"),
}
# "name" means the name of whatever the entry is about: a person's (姓名) or a thing's (名称).
NAME_LABELS = {
    "user": _l("Name"), "organization": _l("Organisation name"), "project": _l("Project name"),
    "saved_search": _l("Name of this search"), "api_token": _l("Token name"),
}
CHECK_LABELS = {
    "required": _l("Required fields"), "contact": _l("Contact details"), "amount": _l("Amounts"),
    "dates": _l("Dates in order"), "instruments_stage": _l("Instruments and stage"),
    "capital_ratio": _l("Project capital ratio"), "duplicate": _l("Duplicate project"),
    "need_open": _l("Need still open"),
}
FORMAT_NAMES = {"xlsx": "Excel", "csv": "CSV", "pdf": "PDF", "json": "JSON"}
LANGUAGES = {"zh": "中文", "en": "English"}
EXPORT_MAX_ENTRIES = 20000  # rows of one Excel export of the log
MONEY_KEYS = {"total_investment", "annual_planned_investment", "amount", "funds_secured"}
DATE_KEYS = {"planned_start", "planned_completion", "actual_start", "actual_completion"}


def _status_enums() -> dict:
    from app.models import EditionStatus, NeedStatus, OrgStatus, UserStatus

    return {"financing_need": NeedStatus, "organization": OrgStatus, "user": UserStatus,
            "edition": EditionStatus}


def _enum_text(enum_cls, value) -> str:
    member = next((m for m in enum_cls if m.value == value), None)
    return label(member) if member is not None else str(value)


def _audit_filter_labels() -> dict:
    from app.admin.forms import AuditFilterForm

    return {name: str(field.args[0]) for name, field in vars(AuditFilterForm).items()
            if hasattr(field, "args") and field.args}


class Names:
    """Names of the objects a page of entries refers to, all read in one statement (a
    UNION of one small SELECT per kind of object), however many entries and kinds."""

    def __init__(self, entries):
        ids: dict[str, set] = {}

        def want(kind, value):
            if isinstance(value, int) and not isinstance(value, bool):
                ids.setdefault(kind, set()).add(value)

        for e in entries:
            want(e.object_type, e.object_id)
            for values in (e.before, e.after):
                if isinstance(values, dict):
                    want("organization", values.get("org_id"))
                    want("financing_need", values.get("need_id"))
        self.by_kind: dict[str, dict] = {}
        selects = [self._select(kind, wanted) for kind, wanted in ids.items() if kind in self._sources()]
        if not selects:
            return
        for kind, object_id, name, year, period, number in db.session.execute(sa.union_all(*selects)):
            if kind == "edition":
                from app.models.edition import Edition

                name = "%s（%s）" % (Edition(year=year, period=period).title, _l("Revision %(n)d", n=number))
            elif kind == "edition_item":
                from app.models.edition import Edition

                name = "%s %s" % (Edition(year=year, period=period).title, _l("Item %(n)d", n=number))
            self.by_kind.setdefault(kind, {})[object_id] = name

    @staticmethod
    def _sources() -> dict:
        """kind -> (id column, name column or None, year, period, number, joins)."""
        from app.models import (
            ApiToken,
            Attachment,
            Edition,
            EditionItem,
            FinancingNeed,
            Organization,
            Project,
            SavedSearch,
            User,
        )

        return {
            "organization": (Organization.id, Organization.name, None, None, None, ()),
            "user": (User.id, sa.func.coalesce(User.name, User.email), None, None, None, ()),
            "project": (Project.id, Project.name, None, None, None, ()),
            "financing_need": (FinancingNeed.id, Project.name, None, None, None, (FinancingNeed.project,)),
            "edition": (Edition.id, None, Edition.year, Edition.period, Edition.revision, ()),
            "edition_item": (EditionItem.id, None, Edition.year, Edition.period, EditionItem.seq,
                             (EditionItem.edition,)),
            "saved_search": (SavedSearch.id, SavedSearch.name, None, None, None, ()),
            "attachment": (Attachment.id, Attachment.filename, None, None, None, ()),
            "api_token": (ApiToken.id, ApiToken.name, None, None, None, ()),
        }

    def _select(self, kind, wanted):
        id_col, name, year, period, number, joins = self._sources()[kind]

        def text(col):
            return sa.cast(col if col is not None else sa.null(), sa.String)

        def num(col):
            return sa.cast(col if col is not None else sa.null(), sa.Integer)

        query = sa.select(sa.literal(kind, sa.String).label("kind"), id_col.label("id"), text(name).label("name"),
                          num(year).label("year"), num(period).label("period"), num(number).label("number"))
        query = query.select_from(id_col.class_)
        for join in joins:
            query = query.join(join)
        return query.where(id_col.in_(sorted(wanted)))

    def get(self, kind, object_id) -> str | None:
        return self.by_kind.get(kind, {}).get(object_id)


def _when(value: str) -> str:
    from app.services.formatting import date_str, datetime_str

    try:
        if "T" in value or " " in value:
            dt = datetime.fromisoformat(value)
            return datetime_str(dt) if dt.tzinfo else dt.strftime("%Y-%m-%d %H:%M")
        return date_str(date.fromisoformat(value))
    except ValueError:
        return value


def display_value(key: str, value, *, object_type: str, names: Names) -> str:
    """One stored value in words."""
    from app import reference as ref
    from app.models import Role
    from app.services.formatting import money

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    enums = {"level": ref.Level, "category": ref.Category, "stage": ref.Stage,
             "reserve_substage": ref.ReserveSubstage, "kind": ref.OrgKind, "role": Role,
             "instruments": ref.Instrument, "credit_enhancements": ref.CreditEnhancement}
    if key == "status" and object_type in _status_enums():
        return _enum_text(_status_enums()[object_type], value)
    if key in enums:
        values = value if isinstance(value, list) else [value]
        return "、".join(_enum_text(enums[key], v) for v in values)
    if key in MONEY_KEYS:
        try:
            return money(Decimal(str(value)))
        except ArithmeticError:
            return str(value)
    if key == "cost_ceiling":
        return f"{Decimal(str(value)):.2f}%"
    if key == "term_months":
        return str(_l("%(n)s months", n=value))
    if key in DATE_KEYS:
        return _when(str(value))
    if key == "industry_code":
        trade = ref.industry(value)
        return f"{trade.label}（{value}）" if trade else str(value)
    if key == "district_code":
        place = ref.district(value)
        return place.label if place else str(value)
    if key == "zone_code":
        place = ref.zone(value)
        return place.label if place else str(value)
    if key == "org_id":
        return names.get("organization", value) or str(_l("No. %(id)s", id=value))
    if key == "need_id":
        return names.get("financing_need", value) or str(_l("No. %(id)s", id=value))
    if key == "locale":
        return LANGUAGES.get(value, str(value))
    if key == "size" and isinstance(value, int):
        return f"{value / 1024:,.1f} KB" if value >= 1024 else f"{value} B"
    if key == "sort_order":
        from app.services.editions import SORTS

        return str(SORTS.get(value, value))
    if key == "check":
        return str(CHECK_LABELS.get(value, value))
    if key == "format":
        return FORMAT_NAMES.get(value, str(value))
    if key == "revision" and isinstance(value, int):
        return str(_l("Revision %(n)d", n=value))
    if key == "filters" and isinstance(value, dict):
        from app.services.editions import filter_words

        return _pairs(filter_words(value)) or str(_l("All"))
    if key == "audit_filters" and isinstance(value, dict):
        labels = _audit_filter_labels()
        shown = []
        for k, v in value.items():
            if k == "object_type":
                v = object_label(v)
            elif k == "action":
                v = action_label(v)
            shown.append((labels.get(k, k), str(v)))
        return _pairs(shown) or str(_l("All"))
    if isinstance(value, dict):
        return _pairs((str(FIELD_LABELS.get(k, k)), display_value(k, v, object_type=object_type, names=names))
                      for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return _when(value)
    return str(value)


def _pairs(pairs) -> str:
    from flask_babel import gettext

    return gettext("; ").join(gettext("%(label)s: %(value)s", label=k, value=v) for k, v in pairs)


def field_label(key: str, object_type: str) -> str:
    if key == "name":
        return str(NAME_LABELS.get(object_type, _l("Name of the record")))
    return str(FIELD_LABELS.get(key, key))


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class Line:
    """An entry in words."""

    entry: AuditEntry
    actor: str
    actor_org: str
    action: str
    object_type: str
    object: str
    changes: list = field(default_factory=list)


def present(entries) -> list[Line]:
    """The entries in words, with the names of what they refer to (a constant number of
    queries however many entries)."""
    names = Names(entries)
    lines = []
    for e in entries:
        before = e.before if isinstance(e.before, dict) else {}
        after = e.after if isinstance(e.after, dict) else {}
        keys = list(dict.fromkeys([*before, *after]))
        changes = [Change(field_label(k, e.object_type),
                          display_value(k, before[k], object_type=e.object_type, names=names) if k in before else "",
                          display_value(k, after[k], object_type=e.object_type, names=names) if k in after else "")
                   for k in keys]
        name = names.get(e.object_type, e.object_id)
        if name is None:  # a deleted object: its name is in the entry itself
            name = before.get("name") or after.get("name") or before.get("filename")
        if name is None and e.object_id is not None:
            name = str(_l("No. %(id)s", id=e.object_id))
        lines.append(Line(
            entry=e,
            actor=(e.actor.name or e.actor.email) if e.actor else str(_l("system")),
            actor_org=e.actor.org.name if e.actor and e.actor.org else "",
            action=action_label(e.action),
            object_type=object_label(e.object_type),
            object=name or "",
            changes=changes,
        ))
    return lines
