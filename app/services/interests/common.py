"""What the interest services share: who is told, locking the need, sums and checks."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import CREDITED_INTEREST_STATUSES, FinancingNeed, Interest, Role, User
from app.models.base import ZERO
from app.services import formatting
from app.services.errors import InvalidTransition
from app.services.notifications import notify
from app.services.validation import Errors, check_money

TEXT_LIMIT = 2000


def owner_users(need: FinancingNeed) -> list[User]:
    """The verified owner users of the need's project organisation."""
    return [u for u in need.project.org.users if u.has_role(Role.owner)]


def institution_users(org) -> list[User]:
    return [u for u in org.users if u.has_role(Role.institution)]


def params(interest: Interest, **extra) -> dict:
    """A notice's parameters: the project, the institution, amounts as 万元 figures."""
    return {"project": interest.need.project.name, "org": interest.org.name,
            "amount": str(interest.amount), **extra}


def tell_owners(interest: Interest, kind: str, **extra) -> None:
    notify(owner_users(interest.need), kind, params(interest, **extra), link=f"/interests/{interest.id}")


def tell_institution(interest: Interest, kind: str, **extra) -> None:
    notify(institution_users(interest.org), kind, params(interest, **extra),
           link=f"/interests/{interest.id}")


def lock_need(need: FinancingNeed) -> FinancingNeed:
    """Take the need's row lock (SELECT … FOR UPDATE on PostgreSQL) and reload it: requests
    that disburse into it, express interest in it or close it run one after the other, each
    seeing what the previous one committed. SQLite writes one transaction at a time anyway."""
    db.session.flush()
    return db.session.scalars(
        sa.select(FinancingNeed).where(FinancingNeed.id == need.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def reload(interest: Interest) -> Interest:
    """The interest as committed now (after the need's lock was taken)."""
    db.session.refresh(interest)
    return interest


def require_need_open(need: FinancingNeed, *, financed_too: bool = False) -> None:
    """Interests of a closed need stay as they are; only disbursements go on into a need
    closed as financed (loans are drawn in tranches)."""
    if need.is_closed and not (financed_too and need.status.value == "financed"):
        raise InvalidTransition(_l("The financing need is closed: its interests stay as they are."))


def disbursed_total(need_id: int) -> Decimal:
    """What all institutions together have disbursed into the need."""
    total = db.session.scalar(sa.select(sa.func.sum(Interest.disbursed_amount))
                              .where(Interest.need_id == need_id))
    return Decimal(str(total)) if total is not None else ZERO


def credited_total(need_id: int) -> Decimal:
    """The credit (授信) of the live approved and funded interests."""
    total = db.session.scalar(sa.select(sa.func.sum(Interest.credit_amount)).where(
        Interest.need_id == need_id, Interest.status.in_(CREDITED_INTEREST_STATUSES)))
    return Decimal(str(total)) if total is not None else ZERO


def check_amount(errors: Errors, field: str, value, *, ceiling: Decimal | None = None,
                 ceiling_message=None) -> Decimal | None:
    """A positive amount in 万元, at most `ceiling`: the Decimal, or None with the error."""
    check_money(errors, field, value)
    if field in errors:
        return None
    amount = Decimal(value)
    if amount <= 0:
        errors.add(field, _l("The amount must be greater than zero."))
        return None
    if ceiling is not None and amount > ceiling:
        errors.add(field, ceiling_message)
        return None
    return amount


def check_text(errors: Errors, field: str, value, *, required: bool = False,
               limit: int = TEXT_LIMIT, message=None) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        errors.add(field, _l("Enter text."))
        return None
    if required and not text:
        errors.add(field, message or _l("This field is required."))
    elif len(text) > limit:
        errors.add(field, _l("At most %(n)d characters.", n=limit))
    return text or None


def check_past_date(errors: Errors, field: str, value, *, required: bool = True,
                    not_before: date | None = None) -> date | None:
    if value in (None, ""):
        if required:
            errors.add(field, _l("This field is required."))
        return None
    if not isinstance(value, date):
        errors.add(field, _l("Enter a date."))
        return None
    if value > formatting.today():
        errors.add(field, _l("The date cannot be in the future."))
    elif not_before is not None and value < not_before:
        errors.add(field, _l("The date cannot be before the credit was approved."))
    return value
