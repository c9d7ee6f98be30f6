"""Expressing interest (融资意向): one live interest per institution per need. Submitting
again updates the live one; a double click or a retried request never makes two (the
partial unique index uq_interest_live is the last word). A material change of the need
flags its live interests for re-confirmation."""

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    LIVE_INTEREST_STATUSES,
    FinancingNeed,
    Interest,
    InterestStatus,
    NeedStatus,
    User,
)
from app.models.base import utcnow
from app.reference import Instrument
from app.services import audit, formatting
from app.services.errors import InvalidTransition, StaleEdit
from app.services.interests import common
from app.services.interests.follows import tell_followers
from app.services.notifications import notify
from app.services.permissions import require
from app.services.validation import Errors

OFFER_FIELDS = ("instrument", "product_name", "amount", "rate", "term_months", "conditions",
                "valid_until", "message")
# The need's terms whose change asks its interested institutions to re-confirm.
RECONFIRM_FIELDS = ("amount", "instruments", "term_months")


def validate_offer(data: dict, need: FinancingNeed) -> dict:
    """The offer's values, checked: ValidationFailed with every field's message otherwise."""
    errors = Errors()
    values = {}
    instrument = data.get("instrument")
    if not isinstance(instrument, Instrument):
        errors.add("instrument", _l("Choose a financing instrument."))
    values["instrument"] = instrument
    values["product_name"] = common.check_text(errors, "product_name", data.get("product_name"), limit=120)
    values["amount"] = common.check_amount(
        errors, "amount", data.get("amount"), ceiling=need.amount,
        ceiling_message=_l("The indicative amount cannot exceed the amount sought (%(amount)s).",
                           amount=formatting.money(need.amount)))
    values["rate"] = _rate(errors, data.get("rate"))
    term = data.get("term_months")
    if term in (None, ""):
        term = None
    elif not isinstance(term, int) or isinstance(term, bool) or not 1 <= term <= 600:
        errors.add("term_months", _l("Enter a term between 1 and 600 months."))
    values["term_months"] = term
    values["conditions"] = common.check_text(errors, "conditions", data.get("conditions"))
    values["message"] = common.check_text(errors, "message", data.get("message"))
    valid_until = data.get("valid_until")
    if valid_until in (None, ""):
        valid_until = None
    elif not isinstance(valid_until, date):
        errors.add("valid_until", _l("Enter a date."))
    elif valid_until < formatting.today():
        errors.add("valid_until", _l("The validity date cannot be in the past."))
    values["valid_until"] = valid_until
    errors.raise_if_any()
    return values


def _rate(errors: Errors, value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        rate = Decimal(value)
        if not rate.is_finite() or not Decimal("0") < rate <= Decimal("36") or rate.as_tuple().exponent < -2:
            raise ValueError
    except (ArithmeticError, InvalidOperation, ValueError, TypeError):
        errors.add("rate", _l("Enter an annual rate between 0 and 36 %, two decimals at most."))
        return None
    return rate


def live_interest(need_id: int, org_id: int) -> Interest | None:
    return db.session.scalar(sa.select(Interest).where(
        Interest.need_id == need_id, Interest.org_id == org_id,
        Interest.status.in_([s.value for s in LIVE_INTEREST_STATUSES])))


def express_interest(user: User, need: FinancingNeed, data: dict, *, version: int | None = None) -> Interest:
    """Express the institution's interest in a listed need, or update its live one.
    `version`: the live interest's version the form was based on (StaleEdit if it moved
    on); None for the plain form, which updates whatever live interest there is."""
    require(user, "express", need)
    values = validate_offer(data, need)
    need = common.lock_need(need)
    if need.status is not NeedStatus.listed:
        raise InvalidTransition(_l("Interest can be expressed in listed financing needs only."))
    live = live_interest(need.id, user.org_id)
    if live is not None:
        return update_interest(user, live, values, version=version, validated=True)
    interest = Interest(need=need, org_id=user.org_id, created_by_id=user.id,
                        status=InterestStatus.submitted, **values)
    try:
        with db.session.begin_nested():
            db.session.add(interest)
            db.session.flush()
    except IntegrityError:  # the institution's other request created it meanwhile
        live = live_interest(need.id, user.org_id)
        if live is None:
            raise
        return update_interest(user, live, values, version=None, validated=True)
    audit.record("interest.create", interest, by=user, after=audit.snapshot(interest, OFFER_FIELDS))
    common.tell_owners(interest, "interest_new")
    return interest


def update_interest(user: User, interest: Interest, data: dict, *, version: int | None,
                    validated: bool = False) -> Interest:
    """Change a live interest's offer; this also re-confirms it after a change of the need."""
    require(user, "update", interest)
    if version is not None and version != interest.version:
        raise StaleEdit()
    values = data if validated else validate_offer(data, interest.need)
    before = audit.snapshot(interest, OFFER_FIELDS)
    for field in OFFER_FIELDS:
        setattr(interest, field, values[field])
    changed_before, changed_after = audit.changed(before, audit.snapshot(interest, OFFER_FIELDS))
    reconfirmed = interest.reconfirm_since is not None
    if not changed_after and not reconfirmed:
        return interest  # the same offer again: nothing to record
    interest.reconfirm_since = None
    if "valid_until" in changed_after:
        interest.validity_reminded_at = None  # a new date: reminded again before it ends
    audit.record("interest.update", interest, by=user, before=changed_before or None,
                 after=changed_after or None, note=str(_l("Re-confirmed")) if reconfirmed else None)
    db.session.flush()
    if changed_after:
        common.tell_owners(interest, "interest_updated")
    return interest


def reconfirm(user: User, interest: Interest, *, version: int | None = None) -> Interest:
    """The institution confirms its interest as it stands after a change of the need."""
    require(user, "reconfirm", interest)
    if version is not None and version != interest.version:
        raise StaleEdit()
    if interest.reconfirm_since is None:
        return interest
    interest.reconfirm_since = None
    audit.record("interest.reconfirm", interest, by=user)
    db.session.flush()
    return interest


def material_change(need: FinancingNeed, fields: list[str]) -> None:
    """After a material edit of a listed need (needs.update_need): its live interests are
    flagged for re-confirmation, their institutions and the need's followers told."""
    fields = [f for f in fields if f in RECONFIRM_FIELDS]
    if not fields:
        return
    now = utcnow()
    live = db.session.scalars(sa.select(Interest).where(
        Interest.need_id == need.id,
        Interest.status.in_([s.value for s in LIVE_INTEREST_STATUSES])).order_by(Interest.id))
    for interest in live:
        interest.reconfirm_since = now
        audit.record("interest.reconfirm_requested", interest, after={"fields": fields})
        notify(common.institution_users(interest.org), "interest_reconfirm",
               common.params(interest, fields=fields), link=f"/interests/{interest.id}")
    tell_followers(need, "follow_changed", fields=fields)
