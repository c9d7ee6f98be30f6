"""Projects: create and edit, with the rules a project must satisfy."""

import re
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import reference
from app.extensions import db
from app.models import Organization, Project, User
from app.reference import Category, Level, ReserveSubstage, Stage
from app.services import approval, audit
from app.services.errors import StaleEdit, flush_unique
from app.services.permissions import require
from app.services.validation import Errors, check_date_order, check_money, check_not_above

# 全国投资项目在线审批监管平台 project code: year-division-industry-type-serial.
PROJECT_CODE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")


def code_division(code: str) -> str:
    """The 6-digit administrative division of a project code (2024-510112-48-01-012345)."""
    return code.split("-")[1]

PROJECT_FIELDS = (
    "name", "code", "level", "category", "industry_code", "district_code", "zone_code",
    "total_investment", "annual_planned_investment", "stage", "reserve_substage",
    "planned_start", "planned_completion", "actual_start", "actual_completion",
    "is_priority", "description",
)


def validate_project(data: dict, *, project: Project | None = None) -> None:
    errors = Errors()
    if not (data.get("name") or "").strip():
        errors.add("name", _l("This field is required."))
    elif len(data["name"]) > 120:
        errors.add("name", _l("At most %(n)d characters.", n=120))
    code = (data.get("code") or "").strip()
    if not PROJECT_CODE.match(code):
        errors.add("code", _l("Use the national project code, e.g. 2024-510112-48-01-012345."))
    else:
        clash = db.session.scalar(sa.select(Project.id).where(Project.code == code))
        if clash and (project is None or clash != project.id):
            errors.add("code", _l("Another project already has this code."))
    for field, enum_cls in (("level", Level), ("category", Category), ("stage", Stage)):
        if not isinstance(data.get(field), enum_cls):
            errors.add(field, _l("Choose a value from the list."))
    if reference.industry(data.get("industry_code")) is None or data["industry_code"].isalpha():
        errors.add("industry_code", _l("Choose an industry from the list."))
    district = reference.district(data.get("district_code"))
    if district is None:
        errors.add("district_code", _l("Choose a district from the list."))
    elif PROJECT_CODE.match(code) and code_division(code) != district.code:
        errors.add("code", _l("The division code in the project code (%(division)s) is not the "
                              "chosen district's (%(district)s: %(code)s).",
                              division=code_division(code), district=district.label,
                              code=district.code))
    if data.get("zone_code") and reference.zone(data["zone_code"]) is None:
        errors.add("zone_code", _l("Choose a zone from the list."))
    if data.get("stage") is Stage.reserve and not isinstance(data.get("reserve_substage"), ReserveSubstage):
        errors.add("reserve_substage", _l("A reserve project needs its sub-stage."))
    check_money(errors, "total_investment", data.get("total_investment"))
    check_money(errors, "annual_planned_investment", data.get("annual_planned_investment"))
    check_not_above(errors, "annual_planned_investment", data.get("annual_planned_investment"),
                    "total_investment", data.get("total_investment"),
                    _l("The annual planned investment cannot exceed the total investment."))
    check_date_order(errors, data, "planned_start", "planned_completion",
                     _l("The planned completion must not be before the planned start."))
    check_date_order(errors, data, "actual_start", "actual_completion",
                     _l("The actual completion must not be before the actual start."))
    if data.get("actual_completion") and not data.get("actual_start"):
        errors.add("actual_start", _l("A completed project needs its actual start date."))
    errors.raise_if_any()


def _clean(data: dict) -> dict:
    clean = {k: data.get(k) for k in PROJECT_FIELDS}
    clean["name"] = (clean["name"] or "").strip()
    clean["code"] = (clean["code"] or "").strip()
    clean["zone_code"] = clean["zone_code"] or None
    clean["description"] = (clean["description"] or "").strip()
    clean["is_priority"] = bool(clean["is_priority"])
    if clean["stage"] is not Stage.reserve:
        clean["reserve_substage"] = None
    for field in ("total_investment", "annual_planned_investment"):
        clean[field] = Decimal(clean[field])
    return clean


# Another project took the code between the check in validate_project and the INSERT.
CODE_TAKEN = {"code": (_l("Another project already has this code."), ("uq_project_code", "project.code"))}


def create_project(org: Organization, data: dict, *, by: User) -> Project:
    require(by, "create_project", org)
    validate_project(data)
    project = Project(org=org, created_by_id=by.id, **_clean(data))
    db.session.add(project)
    flush_unique(CODE_TAKEN)
    audit.record("project.create", project, by=by, after=audit.snapshot(project, PROJECT_FIELDS))
    return project


def update_project(project: Project, data: dict, *, version: int, by: User) -> Project:
    """Edit a project. A material edit (services/approval.py) sends its approved and
    listed needs back for review."""
    require(by, "edit", project)
    if version != project.version:
        raise StaleEdit()
    validate_project(data, project=project)
    before = audit.snapshot(project, PROJECT_FIELDS)
    reviewed_before = approval.project_values(project)
    for key, value in _clean(data).items():
        setattr(project, key, value)
    flush_unique(CODE_TAKEN)  # version_id_col: a concurrent flush in between raises StaleDataError
    changed_before, changed_after = audit.changed(before, audit.snapshot(project, PROJECT_FIELDS))
    if changed_after:
        audit.record("project.update", project, by=by, before=changed_before, after=changed_after)
    approval.send_back_after_project_edit(project, reviewed_before, by=by)
    db.session.flush()
    return project


def project_form_data(project: Project) -> dict:
    return {k: getattr(project, k) for k in PROJECT_FIELDS}
