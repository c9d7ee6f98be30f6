"""The API answers every problem of a body at once, like the site's forms: the schema's
field errors and the service's rules over the fields that passed, each under its field."""

import pytest

from app.extensions import db
from app.models import FinancingNeed, Project
from tests.api.test_projects import project_body
from tests.factories import make_project


def test_a_project_with_schema_and_rule_mistakes_gets_all_messages(api, owner):
    response = api(owner).post("/projects", json=project_body(
        level="national",  # not a level (the schema)
        code="2026-510104-48-01-000901",  # 锦江区's code for a 龙泉驿区 project (the service)
        annual_planned_investment="200000.00",  # above the total (the service)
        stage="reserve",  # without its sub-stage (the service)
        planned_completion="2025-01-01",  # before the start (the service)
        total_investment="1.234",  # three decimals (the schema): no service message for it
    ))
    assert response.status_code == 422
    errors = response.json["error"]["errors"]
    # the annual investment is not compared with a total that was refused
    assert set(errors) == {"level", "code", "reserve_substage", "planned_completion",
                           "total_investment"}
    assert len(errors["total_investment"]) == 1 and len(errors["level"]) == 1
    assert db.session.query(Project).count() == 0


def test_a_valid_project_body_still_meets_the_service_once(api, owner):
    response = api(owner).post("/projects", json=project_body(code="2026-510104-48-01-000901"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert list(response.json["error"]["errors"]) == ["code"]


@pytest.mark.parametrize("role", ["institution", "unverified_owner"])
def test_no_rule_is_checked_for_those_who_may_not_create(api, request, role):
    response = api(request.getfixturevalue(role)).post("/projects", json=project_body(
        level="national", code="2026-510104-48-01-000901"))
    assert response.status_code == 422
    assert set(response.json["error"]["errors"]) == {"level"}


def test_a_need_with_schema_and_rule_mistakes_gets_all_messages(api, owner):
    project = make_project(org=owner.org)  # 150,000 万元 in all
    db.session.commit()
    response = api(owner).post(f"/projects/{project.id}/needs", json={
        "amount": "200000.00",  # above the project's total investment (the service)
        "instruments": ["project_loan"], "term_months": 120,
        "funds_secured": "250000.00",  # above the amount sought (the service)
        "use_of_funds": "主体工程", "contact_name": "张伟",
        "contact_phone": "12345",  # not a phone number (the service)
        "contact_email": "not-an-address",  # (the schema)
    })
    assert response.status_code == 422
    errors = response.json["error"]["errors"]
    assert set(errors) == {"amount", "funds_secured", "contact_phone", "contact_email"}
    assert db.session.query(FinancingNeed).count() == 0
