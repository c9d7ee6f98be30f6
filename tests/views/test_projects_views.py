"""Project pages: list with filters, create and edit through the form, detail, leaks."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import NeedStatus, Project
from app.reference import Level, ReserveSubstage, Stage
from app.services import projects
from tests import factories
from tests.conftest import login as _login


def login(client, user):
    """Log in as `user`, also when another user was logged in earlier in the test: every
    request of a test shares the fixture's app context, where Flask-Login caches the user."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("unread", None)
    return _login(client, user)


def form_data(**overrides) -> dict:
    data = {
        "name": "成都东部新区空港大道工程", "code": "2026-510185-48-01-000123",
        "level": "provincial", "category": "infrastructure", "industry_code": "48",
        "district_code": "510185", "zone_code": "eastern",
        "total_investment": "286500.50", "annual_planned_investment": "42000.25",
        "stage": "under_construction", "reserve_substage": "",
        "planned_start": "2026-04-01", "planned_completion": "2029-06-30",
        "actual_start": "2026-05-10", "actual_completion": "",
        "is_priority": "y", "description": "双向八车道城市快速路。",
    }
    data.update(overrides)
    return data


def count_projects() -> int:
    return db.session.scalar(sa.select(sa.func.count(Project.id)))


def test_owner_creates_a_project_through_the_form(client, owner):
    login(client, owner)
    page = client.get("/projects/new")
    assert page.status_code == 200
    assert 'data-show-when="stage"' in page.get_data(as_text=True)

    response = client.post("/projects/new", data=form_data())
    assert response.status_code == 302
    project = db.session.scalars(sa.select(Project)).one()
    assert response.headers["Location"].endswith(f"/projects/{project.id}")
    assert (project.name, project.code, project.level, project.org_id) == (
        "成都东部新区空港大道工程", "2026-510185-48-01-000123", Level.provincial, owner.org_id)
    assert project.total_investment == Decimal("286500.50")
    assert project.annual_planned_investment == Decimal("42000.25")
    assert (project.zone_code, project.district_code, project.industry_code) == ("eastern", "510185", "48")
    assert (project.planned_start, project.actual_start, project.actual_completion) == (
        date(2026, 4, 1), date(2026, 5, 10), None)
    assert project.is_priority and project.stage is Stage.under_construction

    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "成都东部新区空港大道工程" in detail  # the flash and the title
    assert "28.65 亿元" in detail and "cp-fields" in detail
    assert "alert-success" in detail


def test_a_reserve_project_keeps_its_sub_stage(client, owner):
    login(client, owner)
    client.post("/projects/new", data=form_data(stage="reserve", reserve_substage="approvals",
                                                actual_start=""))
    project = db.session.scalars(sa.select(Project)).one()
    assert (project.stage, project.reserve_substage) == (Stage.reserve, ReserveSubstage.approvals)


@pytest.mark.parametrize("overrides,message", [
    ({"annual_planned_investment": "300000"}, "annual planned investment cannot exceed"),
    ({"total_investment": "100.123"}, "two decimals"),
    ({"total_investment": "-5"}, "total_investment"),
    ({"code": "2026-51"}, "national project code"),
    ({"stage": "reserve", "reserve_substage": ""}, "sub-stage"),
    ({"planned_completion": "2025-01-01"}, "planned completion must not be before"),
    ({"level": "galactic"}, "level"),
])
def test_invalid_input_is_shown_and_kept(client, owner, overrides, message):
    login(client, owner)
    response = client.post("/projects/new?lang=en", data=form_data(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is-invalid" in page
    assert message in page or f'id="{message}"' in page
    assert "成都东部新区空港大道工程" in page  # the input is kept
    assert count_projects() == 0


def test_duplicate_code_through_the_form(client, owner, other_owner):
    factories.make_project(org=other_owner.org, code="2026-510185-48-01-000123")
    login(client, owner)
    response = client.post("/projects/new?lang=en", data=form_data())
    assert response.status_code == 422
    assert "Another project already has this code." in response.get_data(as_text=True)
    assert count_projects() == 1


def test_edit_through_the_form(client, owner):
    project = factories.make_project(org=owner.org, name="旧名称")
    db.session.commit()
    login(client, owner)
    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert "旧名称" in page and f'name="version" type="hidden" value="{project.version}"' in page
    response = client.post(f"/projects/{project.id}/edit", data=form_data(
        code=project.code, district_code=project.district_code, name="新名称",
        version=str(project.version)), follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.name == "新名称" and project.total_investment == Decimal("286500.50")
    assert "新名称" in response.get_data(as_text=True)


def test_a_stale_edit_keeps_the_input_and_says_why(client, owner):
    project = factories.make_project(org=owner.org, name="原名称")
    db.session.commit()
    opened_at = project.version
    login(client, owner)
    client.get(f"/projects/{project.id}/edit?lang=en")  # (the locale is kept for the whole test)
    # A colleague saves in between.
    projects.update_project(project, {**projects.project_form_data(project), "name": "同事改的名称"},
                            version=opened_at, by=owner)
    db.session.commit()
    response = client.post(f"/projects/{project.id}/edit?lang=en", data=form_data(
        code=project.code, district_code=project.district_code, name="我的名称", version=str(opened_at)))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this project after you opened it" in page
    assert "我的名称" in page
    db.session.expire_all()
    assert db.session.get(Project, project.id).name == "同事改的名称"


@pytest.mark.parametrize("role", ["other_owner", "institution", "expert"])
def test_another_organisations_project_is_not_found(client, request, owner, role):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    login(client, request.getfixturevalue(role))
    assert client.get(f"/projects/{project.id}").status_code == 404
    assert client.get(f"/projects/{project.id}/edit").status_code == 404
    assert client.post(f"/projects/{project.id}/edit", data=form_data()).status_code == 404


def test_an_institution_sees_a_project_with_a_listed_need_but_only_that_need(client, owner, institution):
    project = factories.make_project(org=owner.org)
    listed = factories.make_need(project=project, status=NeedStatus.listed)
    draft = factories.make_need(project=project, status=NeedStatus.draft)
    db.session.commit()
    login(client, institution)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f"/needs/{listed.id}" in page and f"/needs/{draft.id}" not in page
    assert f"/projects/{project.id}/edit" not in page and "/needs/new" not in page


@pytest.mark.parametrize("role,status", [("institution", 403), ("admin", 403), ("unverified_owner", 403)])
def test_only_verified_owners_open_the_new_project_form(client, request, role, status):
    login(client, request.getfixturevalue(role))
    assert client.get("/projects/new").status_code == status


def test_the_list_shows_own_projects_to_owners_and_all_to_admins(client, owner, other_owner, admin):
    mine = factories.make_project(org=owner.org, name="我的项目")
    theirs = factories.make_project(org=other_owner.org, name="别人的项目")
    db.session.commit()
    login(client, owner)
    page = client.get("/projects/").get_data(as_text=True)
    assert mine.name in page and theirs.name not in page
    login(client, admin)
    page = client.get("/projects/").get_data(as_text=True)
    assert mine.name in page and theirs.name in page


@pytest.mark.parametrize("query,expected", [
    ("level=provincial", {"省级甲"}),
    ("district=510104", {"锦江乙"}),
    ("stage=reserve", {"储备丙"}),
    ("category=ecology", {"储备丙"}),
    ("q=990888", {"锦江乙"}),
    ("q=甲", {"省级甲"}),
    ("q=%25", set()),  # a literal %, not a wildcard
    ("", {"省级甲", "锦江乙", "储备丙"}),
    ("level=nonsense", {"省级甲", "锦江乙", "储备丙"}),
])
def test_list_filters(client, owner, query, expected):
    from app.reference import Category

    factories.make_project(org=owner.org, name="省级甲", level=Level.provincial)
    factories.make_project(org=owner.org, name="锦江乙", district_code="510104",
                           code="2026-510104-48-01-990888")
    factories.make_project(org=owner.org, name="储备丙", stage=Stage.reserve,
                           reserve_substage=ReserveSubstage.agreement, category=Category.ecology)
    db.session.commit()
    login(client, owner)
    response = client.get(f"/projects/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = {name for name in ("省级甲", "锦江乙", "储备丙") if f">{name}</a>" in page}
    assert shown == expected


def test_the_list_is_paginated(app, client, owner):
    app.config["PER_PAGE"] = 2
    for n in range(5):
        factories.make_project(org=owner.org, name=f"分页项目{n}")
    db.session.commit()
    login(client, owner)
    first = client.get("/projects/").get_data(as_text=True)
    third = client.get("/projects/?page=3").get_data(as_text=True)
    assert first.count("分页项目") == 2 and third.count("分页项目") == 1
    assert "page=2" in first
