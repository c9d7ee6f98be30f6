"""Financing needs: the form's rules and every step of the review life cycle."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Attachment, FinancingNeed, NeedStatus, Project, User
from app.models.base import utcnow
from app.reference import CreditEnhancement, Instrument
from app.services import approval, attachments, audit, phone
from app.services.accounts import active_admins
from app.services.errors import InvalidTransition, StaleEdit, ValidationFailed
from app.services.notifications import notify
from app.services.permissions import can, require
from app.services.validation import Errors, check_money, check_not_above
from app.services.workflow import move

NEED_FIELDS = (
    "amount", "instruments", "term_months", "cost_ceiling", "use_of_funds",
    "credit_enhancements", "funds_secured", "contact_name", "contact_phone", "contact_email",
)

# Column sizes (app/models/need.py), checked here so that every database refuses alike.
TEXT_LIMITS = {"use_of_funds": 2000, "contact_name": 60, "contact_phone": 40, "contact_email": 254}


def validate_need(data: dict, project: Project) -> None:
    errors = Errors()
    check_money(errors, "amount", data.get("amount"))
    if "amount" not in errors and Decimal(data["amount"]) <= 0:
        errors.add("amount", _l("The amount sought must be greater than zero."))
    check_money(errors, "funds_secured", data.get("funds_secured"), required=False)
    check_not_above(errors, "funds_secured", data.get("funds_secured"), "amount", data.get("amount"),
                    _l("Financing in place cannot exceed the amount sought."))
    check_not_above(errors, "amount", data.get("amount"), "project", project.total_investment,
                    _l("The amount sought cannot exceed the project's total investment."))
    instruments = data.get("instruments") or []
    if not instruments or not all(isinstance(i, Instrument) for i in instruments):
        errors.add("instruments", _l("Choose at least one financing instrument."))
    enhancements = data.get("credit_enhancements") or []
    if not all(isinstance(e, CreditEnhancement) for e in enhancements):
        errors.add("credit_enhancements", _l("Choose values from the list."))
    term = data.get("term_months")
    if not isinstance(term, int) or not 1 <= term <= 600:
        errors.add("term_months", _l("Enter a term between 1 and 600 months."))
    ceiling = data.get("cost_ceiling")
    if ceiling not in (None, ""):
        try:
            ceiling = Decimal(ceiling)
            if not Decimal("0") < ceiling <= Decimal("36") or ceiling.as_tuple().exponent < -2:
                raise ValueError
        except (ArithmeticError, ValueError, TypeError):
            errors.add("cost_ceiling", _l("Enter an annual rate between 0 and 36 %, two decimals at most."))
    if not (data.get("use_of_funds") or "").strip():
        errors.add("use_of_funds", _l("This field is required."))
    if not (data.get("contact_name") or "").strip():
        errors.add("contact_name", _l("This field is required."))
    for field, limit in TEXT_LIMITS.items():
        if len(data.get(field) or "") > limit:
            errors.add(field, _l("At most %(n)d characters.", n=limit))
    if not (data.get("contact_phone") or "").strip():
        errors.add("contact_phone", _l("This field is required."))
    elif "contact_phone" not in errors and not phone.is_valid(data["contact_phone"]):
        errors.add("contact_phone", phone.RULE)
    errors.raise_if_any()


def _apply(need: FinancingNeed, data: dict) -> None:
    need.amount = Decimal(data["amount"])
    need.set_instruments(data["instruments"])
    need.term_months = data["term_months"]
    need.cost_ceiling = Decimal(data["cost_ceiling"]) if data.get("cost_ceiling") not in (None, "") else None
    need.use_of_funds = data["use_of_funds"].strip()
    chosen = set(data.get("credit_enhancements") or [])
    need.credit_enhancements = [e.value for e in CreditEnhancement if e in chosen]
    need.funds_secured = Decimal(data.get("funds_secured") or 0)
    need.contact_name = data["contact_name"].strip()
    need.contact_phone = data["contact_phone"].strip()
    need.contact_email = (data.get("contact_email") or "").strip() or None


def _snapshot(need: FinancingNeed) -> dict:
    return audit.snapshot(need, NEED_FIELDS)


def create_need(project: Project, data: dict, *, by: User) -> FinancingNeed:
    require(by, "create_need", project)
    validate_need(data, project)
    need = FinancingNeed(project=project, status=NeedStatus.draft, created_by_id=by.id)
    _apply(need, data)
    db.session.add(need)
    db.session.flush()
    audit.record("financing_need.create", need, by=by, after=_snapshot(need))
    return need


def update_need(need: FinancingNeed, data: dict, *, version: int, by: User) -> FinancingNeed:
    """Edit a need. An edit based on an older version is refused (StaleEdit); a material
    edit of an approved or listed need sends it back for review (services/approval.py)."""
    require(by, "edit", need)
    if version != need.version:
        raise StaleEdit()
    validate_need(data, need.project)
    before = _snapshot(need)
    reviewed_before = approval.need_values(need)
    _apply(need, data)
    changed_before, changed_after = audit.changed(before, _snapshot(need))
    if not changed_after:
        return need
    need.updated_at = utcnow()  # bumps the version even if only instruments changed
    audit.record("financing_need.update", need, by=by, before=changed_before, after=changed_after)
    material = approval.changed_material(reviewed_before, approval.need_values(need))
    if material and need.status is NeedStatus.listed:  # institutions act on the listed terms
        from app.services import interests

        interests.material_change(need, material)
    if material and need.status in approval.REVIEWED_STATUSES:
        approval.send_back_for_review(need, by=by, note=str(_l("Changed after approval")))
    db.session.flush()
    return need


def to_review(need: FinancingNeed, *, by: User, note: str | None = None) -> None:
    """Into the review queue; the admins are told. A return comment stays, so that the
    reviewer reads it beside the owner's reply."""
    move(need, NeedStatus.submitted, by=by, note=note)
    need.submitted_at = utcnow()
    notify(active_admins(), "need_submitted", _params(need), link=f"/needs/{need.id}")


def _params(need: FinancingNeed, **extra) -> dict:
    return {"project": need.project.name, "org": need.project.org.name,
            "amount": str(need.amount), **extra}  # shown by notifications.render


def _owners(need: FinancingNeed) -> list[User]:
    from app.models import Role

    return [u for u in need.project.org.users if u.has_role(Role.owner)]


REPLY_LIMIT = 2000


def submit_need(need: FinancingNeed, *, by: User, reply: str | None = None) -> None:
    """Submit a draft, or resubmit a returned need with an optional reply to the
    reviewer's comment (回复说明; ignored for a draft, which has no comment to answer)."""
    require(by, "submit", need)
    reply = (reply or "").strip() or None
    if reply and len(reply) > REPLY_LIMIT:
        raise ValidationFailed(errors={"reply": [_l("At most %(n)d characters.", n=REPLY_LIMIT)]})
    validate_need(_current(need), need.project)
    if need.status is not NeedStatus.returned:
        reply = None
    need.owner_reply = reply
    to_review(need, by=by, note=reply)


def return_need(need: FinancingNeed, *, comment: str, by: User) -> None:
    require(by, "return", need)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(errors={"comment": [_l("Say what the owner should change.")]})
    move(need, NeedStatus.returned, by=by, note=comment)
    need.review_comment = comment
    need.owner_reply = None
    notify(_owners(need), "need_returned", _params(need, comment=comment), link=f"/needs/{need.id}")


def approve_need(need: FinancingNeed, *, by: User, comment: str | None = None) -> None:
    require(by, "approve", need)
    move(need, NeedStatus.approved, by=by, note=(comment or "").strip() or None)
    need.approved_at = utcnow()
    approval.record_approval(need)
    need.review_comment = None
    need.owner_reply = None
    notify(_owners(need), "need_approved", _params(need), link=f"/needs/{need.id}")


def withdraw_need(need: FinancingNeed, *, by: User, reason: str | None = None) -> None:
    require(by, "withdraw", need)
    move(need, NeedStatus.withdrawn, by=by, note=(reason or "").strip() or None)
    need.closed_at = utcnow()
    from app.services import interests

    interests.need_closed(need, note=(reason or "").strip() or None)


def delete_need(need: FinancingNeed, *, by: User) -> None:
    """Delete a draft that was never submitted, with its attachments (files removed from
    disk). Anything submitted once is in the review history: it is withdrawn instead."""
    try:
        require(by, "delete", need)
    except InvalidTransition:
        raise InvalidTransition(_l("Only a draft that was never submitted can be deleted: "
                                   "withdraw this need instead.")) from None
    audit.record("financing_need.delete", need, by=by,
                 before={"project": need.project.name, **_snapshot(need)})
    for att in list(db.session.scalars(sa.select(Attachment).where(Attachment.need_id == need.id))):
        attachments.delete_attachment(att, by=by)
    db.session.delete(need)
    db.session.flush()


CONTACT_READ = "financing_need.view_contact"


def record_contact_reads(shown, *, by: User, via: str) -> bool:
    """Audit that `by` was just shown the contact details of these needs (PRODUCT.md §2:
    every sensitive read is logged); the owner organisation's own reads are not sensitive.
    One row per answer: the need's, or for a list one row naming the needs. Returns
    whether a row was written: the caller commits then."""
    read = [n for n in shown if can(by, "view_contact", n) and by.org_id != n.project.org_id]
    if not read:
        return False
    if len(read) == 1:
        audit.record(CONTACT_READ, read[0], by=by, note=via)
    else:
        audit.record(CONTACT_READ, by=by, object_type=FinancingNeed.__tablename__,
                     note=f"{via} #{','.join(str(n.id) for n in read)}")
    return True


def _current(need: FinancingNeed) -> dict:
    data = {k: getattr(need, k) for k in NEED_FIELDS}
    data["instruments"] = need.instruments
    data["credit_enhancements"] = need.enhancements
    return data


need_form_data = _current

