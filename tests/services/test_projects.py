"""Projects through the services: the rules a project must satisfy, who may create and
edit, stale edits and the audit trail."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Project
from app.reference import Category, Level, ReserveSubstage, Stage
from app.services import projects
from app.services.errors import NotAllowed, NotFound, StaleEdit, ValidationFailed
from tests import factories


def project_data(**overrides) -> dict:
    data = dict(
        name="天府大道北延线快速路工程", code="2026-510112-48-01-000777", level=Level.municipal,
        category=Category.infrastructure, industry_code="48", district_code="510112", zone_code=None,
        total_investment=Decimal("150000.00"), annual_planned_investment=Decimal("30000.00"),
        stage=Stage.under_construction, reserve_substage=None,
        planned_start=date(2026, 3, 1), planned_completion=date(2028, 12, 31),
        actual_start=None, actual_completion=None, is_priority=True, description="快速路主线。",
    )
    data.update(overrides)
    return data


def count_projects() -> int:
    return db.session.scalar(sa.select(sa.func.count(Project.id)))


def test_create_a_project(owner):
    project = projects.create_project(owner.org, project_data(), by=owner)
    assert project.org_id == owner.org_id and project.created_by_id == owner.id
    assert project.total_investment == Decimal("150000.00") and project.is_priority
    [row] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == "project")).all()
    assert row.action == "project.create" and row.after["code"] == "2026-510112-48-01-000777"


@pytest.mark.parametrize("overrides,field", [
    ({"name": "  "}, "name"),
    ({"code": "2026-510112-48-01"}, "code"),
    ({"code": "项目编码"}, "code"),
    ({"code": "2026/510112/48/01/000777"}, "code"),
    ({"level": None}, "level"),
    ({"industry_code": "Z9"}, "industry_code"),
    ({"industry_code": "E"}, "industry_code"),  # a section, not a division
    ({"district_code": "110101"}, "district_code"),  # Beijing, not Chengdu
    ({"zone_code": "nowhere"}, "zone_code"),
    ({"total_investment": Decimal("-1.00")}, "total_investment"),
    ({"total_investment": Decimal("100.001")}, "total_investment"),
    ({"total_investment": None}, "total_investment"),
    ({"annual_planned_investment": Decimal("-0.01")}, "annual_planned_investment"),
    ({"annual_planned_investment": Decimal("1.5"), "total_investment": Decimal("1.49")},
     "annual_planned_investment"),
    ({"annual_planned_investment": Decimal("30000.123")}, "annual_planned_investment"),
    ({"planned_start": date(2027, 1, 1), "planned_completion": date(2026, 12, 31)}, "planned_completion"),
    ({"actual_start": date(2026, 5, 1), "actual_completion": date(2026, 4, 30)}, "actual_completion"),
    ({"actual_completion": date(2026, 4, 30)}, "actual_start"),
    ({"stage": Stage.reserve, "reserve_substage": None}, "reserve_substage"),
])
def test_project_rules(owner, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        projects.create_project(owner.org, project_data(**overrides), by=owner)
    assert field in caught.value.errors
    assert count_projects() == 0


@pytest.mark.parametrize("overrides", [
    {"total_investment": Decimal("0"), "annual_planned_investment": Decimal("0")},
    {"annual_planned_investment": Decimal("150000.00")},  # equal to the total
    {"planned_start": date(2026, 3, 1), "planned_completion": date(2026, 3, 1)},
    {"stage": Stage.reserve, "reserve_substage": ReserveSubstage.feasibility},
    {"zone_code": "tianfu"},
])
def test_valid_edge_cases(owner, overrides):
    project = projects.create_project(owner.org, project_data(**overrides), by=owner)
    for key, value in overrides.items():
        assert getattr(project, key) == value


def test_sub_stage_is_dropped_when_not_in_reserve(owner):
    project = projects.create_project(
        owner.org, project_data(stage=Stage.planned_start, reserve_substage=ReserveSubstage.design), by=owner)
    assert project.reserve_substage is None


def test_duplicate_code_is_refused(owner, other_owner):
    factories.make_project(org=other_owner.org, code="2026-510112-48-01-000777")
    with pytest.raises(ValidationFailed) as caught:
        projects.create_project(owner.org, project_data(), by=owner)
    assert "code" in caught.value.errors
    assert count_projects() == 1


def test_a_project_keeps_its_own_code_when_edited(owner):
    project = factories.make_project(org=owner.org, code="2026-510112-48-01-000777")
    projects.update_project(project, project_data(name="新名称"), version=project.version, by=owner)
    assert project.name == "新名称"


@pytest.mark.parametrize("role,error", [
    ("institution", NotAllowed), ("expert", NotAllowed), ("admin", NotAllowed),
    ("unverified_owner", NotAllowed),
])
def test_only_verified_owners_create_projects(request, role, error):
    user = request.getfixturevalue(role)
    with pytest.raises(error):
        projects.create_project(user.org, project_data(), by=user)


def test_nobody_creates_projects_for_another_organisation(owner, other_owner):
    with pytest.raises((NotAllowed, NotFound)):
        projects.create_project(other_owner.org, project_data(), by=owner)
    assert count_projects() == 0


@pytest.mark.parametrize("role,error", [
    ("other_owner", NotFound), ("institution", NotFound), ("expert", NotFound), ("admin", NotAllowed),
])
def test_only_the_owner_edits(request, owner, role, error):
    project = factories.make_project(org=owner.org)
    with pytest.raises(error):
        projects.update_project(project, project_data(), version=project.version,
                                by=request.getfixturevalue(role))


def test_edit_is_audited_with_the_changed_fields(owner):
    project = factories.make_project(org=owner.org)
    projects.update_project(project, project_data(name="新名称", code=project.code,
                                                  total_investment=project.total_investment),
                            version=project.version, by=owner)
    row = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "project.update")).one()
    assert row.after["name"] == "新名称" and "total_investment" not in row.after


def test_a_stale_edit_is_refused_and_changes_nothing(owner):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    opened_at = project.version
    projects.update_project(project, project_data(code=project.code, name="第一人"), version=opened_at,
                            by=owner)
    db.session.commit()
    with pytest.raises(StaleEdit):
        projects.update_project(project, project_data(code=project.code, name="第二人"),
                                version=opened_at, by=owner)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Project, project.id).name == "第一人"


@pytest.mark.parametrize("code,district,valid", [
    ("2026-510112-48-01-000777", "510112", True),
    ("2026-510104-48-01-000777", "510112", False),  # 锦江区's code, 龙泉驿区 chosen
    ("2026-510100-48-01-000777", "510112", False),  # the city's own code
])
def test_the_code_names_the_chosen_district(owner, code, district, valid):
    data = project_data(code=code, district_code=district)
    if valid:
        projects.validate_project(data)
        return
    with pytest.raises(ValidationFailed) as caught:
        projects.create_project(owner.org, data, by=owner)
    [message] = caught.value.errors["code"]
    assert "510112" in str(message) and code.split("-")[1] in str(message)
    assert count_projects() == 0
