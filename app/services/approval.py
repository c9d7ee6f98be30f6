"""What a review approves, and which later edits send a need back to review.

An administrator approves a need as it stands *with its project*: the amount, the terms
and the contact an institution will act on, and the project facts the list prints and
the readiness checks weigh. approve_need() stores those reviewed values on the need
(FinancingNeed.approved_values); an edit that changes one of them on an approved or
listed need sends the need back to review (submitted) before it can reach another
edition, and the review page shows the difference field by field.

Material: every field of a need (each is printed on the list or used to contact the
owner), and the project fields below. Not material, so editable without a new review:
the project's free-text description (a narrative: typo fixes and updates should not hold
a need back from the next edition; the edition changelog still shows the change) and the
actual start and completion dates (progress facts, not printed on the list nor checked).
"""

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import reference
from app.models import FinancingNeed, NeedStatus, Project, User
from app.models.base import utcnow
from app.reference import Category, CreditEnhancement, Instrument, Level, ReserveSubstage, Stage
from app.services import formatting

# Statuses in which a need carries an approval that a material edit invalidates.
REVIEWED_STATUSES = frozenset({NeedStatus.approved, NeedStatus.listed})

MATERIAL_NEED_FIELDS = {
    "amount": _l("Amount sought"),
    "funds_secured": _l("Financing already in place"),
    "instruments": _l("Instruments"),
    "term_months": _l("Term"),
    "cost_ceiling": _l("Acceptable cost ceiling"),
    "use_of_funds": _l("Use of funds"),
    "credit_enhancements": _l("Credit enhancement offered"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact e-mail"),
}
MATERIAL_PROJECT_FIELDS = {
    "name": _l("Project name"),
    "code": _l("Project code"),
    "level": _l("Level"),
    "category": _l("Category"),
    "industry_code": _l("Industry"),
    "district_code": _l("District"),
    "zone_code": _l("Functional zone"),
    "total_investment": _l("Total investment"),
    "annual_planned_investment": _l("Annual planned investment"),
    "stage": _l("Stage"),
    "reserve_substage": _l("Reserve sub-stage"),
    "planned_start": _l("Planned start"),
    "planned_completion": _l("Planned completion"),
    "is_priority": _l("Priority project"),
}
SCOPES = {"need": MATERIAL_NEED_FIELDS, "project": MATERIAL_PROJECT_FIELDS}


def _plain(value):
    """A stored value in a comparable form: 1200 and 1200.00 万元 are the same amount."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def need_values(need: FinancingNeed) -> dict:
    values = {f: _plain(getattr(need, f)) for f in MATERIAL_NEED_FIELDS}
    values["instruments"] = [i.value for i in need.instruments]
    values["credit_enhancements"] = list(need.credit_enhancements or [])
    return values


def project_values(project: Project) -> dict:
    return {f: _plain(getattr(project, f)) for f in MATERIAL_PROJECT_FIELDS}


def reviewed_values(need: FinancingNeed) -> dict:
    """What an approval of `need` approves, as stored in FinancingNeed.approved_values."""
    return {"need": need_values(need), "project": project_values(need.project),
            "at": utcnow().isoformat()}


def record_approval(need: FinancingNeed) -> None:
    need.approved_values = reviewed_values(need)


# ---- the difference since the last approval -----------------------------------------------------
@dataclass(frozen=True)
class Change:
    scope: str  # "need" or "project"
    field: str
    label: str
    before: str
    after: str


def changes_since_approval(need: FinancingNeed) -> list[Change]:
    """The material fields of the need and its project that differ from the values of
    its last approval, displayed; empty when nothing changed or it was never approved."""
    stored = need.approved_values
    if not stored:
        return []
    now = {"need": need_values(need), "project": project_values(need.project)}
    changes = []
    for scope, labels in SCOPES.items():
        old = stored.get(scope) or {}
        for field, label in labels.items():
            if field in old and old[field] != now[scope][field]:
                changes.append(Change(scope, field, str(label), display(field, old[field]),
                                      display(field, now[scope][field])))
    return changes


ENUM_FIELDS = {"level": Level, "category": Category, "stage": Stage, "reserve_substage": ReserveSubstage}
LIST_FIELDS = {"instruments": Instrument, "credit_enhancements": CreditEnhancement}
MONEY_FIELDS = frozenset({"amount", "funds_secured", "total_investment", "annual_planned_investment"})
PLACES = {"industry_code": reference.industry, "district_code": reference.district,
          "zone_code": reference.zone}


def separator() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return ", " if locale is not None and locale.language == "en" else "、"


def _member_label(enum_cls, value) -> str:
    try:
        return reference.label(enum_cls(value))
    except ValueError:
        return str(value)


def display(field: str, value) -> str:
    """A stored value as the reader sees it: labels, 万元 amounts, dates; never a code."""
    if value in (None, "", []):
        return "—"
    if field in MONEY_FIELDS:
        return formatting.money(Decimal(value))
    if field in ENUM_FIELDS:
        return _member_label(ENUM_FIELDS[field], value)
    if field in LIST_FIELDS:
        return separator().join(_member_label(LIST_FIELDS[field], v) for v in value)
    if field in PLACES:
        place = PLACES[field](value)
        return place.label if place is not None else str(value)
    if field in ("planned_start", "planned_completion"):
        return formatting.date_str(date.fromisoformat(value))
    if field == "term_months":
        return _("%(n)d months", n=value)
    if field == "cost_ceiling":
        return _("%(rate)s %% a year", rate=value)
    if field == "is_priority":
        return _("Yes") if value else _("No")
    return str(value)


# ---- back to review ----------------------------------------------------------------------------------
def send_back_for_review(need: FinancingNeed, *, by: User, note: str) -> None:
    """A material edit of an approved or listed need: to the review queue, the admins
    told like of any submission. A listed need stays in the published edition (its
    snapshot is frozen) but goes into no new edition before it is approved again."""
    from app.services.needs import to_review

    to_review(need, by=by, note=note)


def changed_material(before: dict, after: dict) -> list[str]:
    return [f for f in after if before.get(f) != after.get(f)]


def send_back_after_project_edit(project: Project, before: dict, *, by: User) -> list[FinancingNeed]:
    """After an edit of `project` (`before`: its project_values() before the edit), send
    its approved and listed needs back to review if a material field changed."""
    fields = changed_material(before, project_values(project))
    if not fields:
        return []
    labels = separator().join(str(MATERIAL_PROJECT_FIELDS[f]) for f in fields)
    sent = []
    for need in project.needs:
        if need.status in REVIEWED_STATUSES:
            send_back_for_review(need, by=by, note=_("The project changed after approval: %(fields)s",
                                                     fields=labels))
            sent.append(need)
    return sent


def has_reviewed_needs(project: Project) -> bool:
    return any(n.status in REVIEWED_STATUSES for n in project.needs)
