"""The log as a civil servant reads it.

Entries store codes (enum values, ids, ISO dates, 万元 as decimal strings); the page and the
Excel export show words: field labels, enum labels, amounts in 万元/亿元, Beijing time and the
names of organisations, users and projects (looked up in one query per kind of object).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import reference as ref
from app.extensions import db
from app.models import (
    ApiToken,
    Attachment,
    AuditEntry,
    Edition,
    EditionItem,
    EditionStatus,
    FinancingNeed,
    JobStatus,
    NeedStatus,
    Organization,
    OrgStatus,
    Project,
    Role,
    SavedSearch,
    User,
    UserStatus,
)
from app.reference import label
from app.services.audit.labels import (
    CHECK_LABELS,
    FIELD_LABELS,
    FORMAT_NAMES,
    LANGUAGES,
    action_label,
    field_label,
    object_label,
)
from app.services.formatting import date_str, datetime_str, money

EXPORT_MAX_ENTRIES = 20000  # rows of one Excel export of the log
MONEY_KEYS = {"total_investment", "annual_planned_investment", "amount", "funds_secured", "amount_min",
              "amount_max", "credit_amount", "disbursed_amount"}
DATE_KEYS = {"planned_start", "planned_completion", "actual_start", "actual_completion",
             "credit_date", "disbursed_on", "valid_until"}


def _status_enums() -> dict:
    return {"financing_need": NeedStatus, "organization": OrgStatus, "user": UserStatus,
            "edition": EditionStatus, "job": JobStatus}


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
                name = "%s（%s）" % (Edition(year=year, period=period).title, _l("Revision %(n)d", n=number))
            elif kind == "edition_item":
                name = "%s %s" % (Edition(year=year, period=period).title, _l("Item %(n)d", n=number))
            self.by_kind.setdefault(kind, {})[object_id] = name

    @staticmethod
    def _sources() -> dict:
        """kind -> (id column, name column or None, year, period, number, joins)."""
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
    try:
        if "T" in value or " " in value:
            dt = datetime.fromisoformat(value)
            return datetime_str(dt) if dt.tzinfo else dt.strftime("%Y-%m-%d %H:%M")
        return date_str(date.fromisoformat(value))
    except ValueError:
        return value


def display_value(key: str, value, *, object_type: str, names: Names) -> str:
    """One stored value in words."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    enums = {"level": ref.Level, "category": ref.Category, "stage": ref.Stage,
             "reserve_substage": ref.ReserveSubstage, "kind": ref.OrgKind, "role": Role,
             "instruments": ref.Instrument, "credit_enhancements": ref.CreditEnhancement, "levels": ref.Level}
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
    if key == "industries" and isinstance(value, list):
        return "、".join(t.label if (t := ref.industry(v)) else str(v) for v in value)
    if key == "districts" and isinstance(value, list):
        return "、".join(p.label if (p := ref.district(v) or ref.zone(v)) else str(v) for v in value)
    if key in ("term_months", "term_min", "term_max"):
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
    return gettext("; ").join(gettext("%(label)s: %(value)s", label=k, value=v) for k, v in pairs)


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
