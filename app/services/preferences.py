"""An institution's preference profile (投资偏好): what it looks for, which drives its match
scores (services/matching.py). One profile per organisation; any verified user of the
institution keeps it, version-checked, every change audited."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Organization, PreferenceProfile, User
from app.reference import ZONES, Instrument, Level, district, industry
from app.services import audit
from app.services.errors import StaleEdit, ValidationFailed
from app.services.params import amount_range_error
from app.services.permissions import require

LIST_FIELDS = ("industries", "districts", "instruments", "levels")
FIELDS = (*LIST_FIELDS, "amount_min", "amount_max", "term_min", "term_max")
MAX_TERM = 600  # months, as a need's term
MAX_AMOUNT = Decimal("99999999999999.99")

_ZONE_CODES = {z.code for z in ZONES}
_VALID = {
    "industries": lambda v: industry(v) is not None,
    "districts": lambda v: district(v) is not None or v in _ZONE_CODES,
    "instruments": lambda v: v in {i.value for i in Instrument},
    "levels": lambda v: v in {lv.value for lv in Level},
}


def get_profile(org: Organization) -> PreferenceProfile | None:
    return db.session.scalar(sa.select(PreferenceProfile).where(PreferenceProfile.org_id == org.id))


def profile_data(profile: PreferenceProfile | None) -> dict:
    """The profile's fields (empty when there is none yet), for a form or the API."""
    if profile is None:
        return {**{f: [] for f in LIST_FIELDS}, "amount_min": None, "amount_max": None,
                "term_min": None, "term_max": None}
    return {f: list(getattr(profile, f) or []) for f in LIST_FIELDS} | {
        f: getattr(profile, f) for f in ("amount_min", "amount_max", "term_min", "term_max")}


def validate_profile(data: dict) -> None:
    """Codes among the choices, bounds not negative and each minimum at most its maximum.
    Raises ValidationFailed with every problem, each under its field."""
    errors: dict[str, list] = {}
    for name in LIST_FIELDS:
        if any(not isinstance(v, str) or not _VALID[name](v) for v in data.get(name) or []):
            errors[name] = [_l("Choose values from the list.")]
    amount_min, amount_max = data.get("amount_min"), data.get("amount_max")
    for name in ("amount_min", "amount_max"):
        value = data.get(name)
        if value is not None and not (0 <= value <= MAX_AMOUNT):
            errors[name] = [_l("Enter an amount of 0 or more.")]
    if "amount_max" not in errors and "amount_min" not in errors:
        message = amount_range_error(amount_min, amount_max)
        if message is not None:
            errors["amount_max"] = [message]
    for name in ("term_min", "term_max"):
        value = data.get(name)
        if value is not None and not (1 <= value <= MAX_TERM):
            errors[name] = [_l("Enter a term between 1 and %(max)d months.", max=MAX_TERM)]
    term_min, term_max = data.get("term_min"), data.get("term_max")
    if "term_min" not in errors and "term_max" not in errors and term_min is not None \
            and term_max is not None and term_max < term_min:
        errors["term_max"] = [_l("The longest term cannot be shorter than the shortest term.")]
    if errors:
        raise ValidationFailed(errors=errors)


def save_profile(org: Organization, data: dict, *, version: int | None, by: User) -> PreferenceProfile:
    """Create or replace the organisation's profile. `version` is the one the user read
    (0 or None: there was no profile); if someone saved since, StaleEdit and nothing is kept."""
    require(by, "keep_preferences", org)
    validate_profile(data)
    profile = get_profile(org)
    if (profile.version if profile else 0) != (version or 0):
        raise StaleEdit()
    before = audit.snapshot(profile, FIELDS) if profile else {}
    if profile is None:
        profile = PreferenceProfile(org_id=org.id)
        db.session.add(profile)
    for name in LIST_FIELDS:
        # Sorted, without repeats: the same choice is stored alike.
        setattr(profile, name, sorted(set(data.get(name) or [])))
    for name in ("amount_min", "amount_max", "term_min", "term_max"):
        setattr(profile, name, data.get(name))
    profile.updated_by_id = by.id
    db.session.flush()
    after = audit.snapshot(profile, FIELDS)
    before, after = audit.changed(before, after)
    audit.record("preference_profile.update", profile, by=by, before=before, after=after)
    return profile
