"""Schemathesis, in process: requests generated from /api/v1/openapi.json, sent with an
administrator's and a project owner's tokens, never answer 5xx and always match the
document (status codes, content types, bodies, the one error shape)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from app.extensions import db
from app.models import NeedStatus
from tests.api.conftest import bearer
from tests.factories import make_need, make_project

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture
def callers(app, admin, owner, institution):
    """Some data to find (ids 1..n exist) and the headers of the callers."""
    project = make_project(org=owner.org)
    for status in (NeedStatus.draft, NeedStatus.submitted, NeedStatus.listed):
        make_need(project, status=status)
    make_need(status=NeedStatus.approved)
    db.session.commit()
    return {"admin": bearer(admin), "owner": bearer(owner)}


# The document is read once, at collection, from an app that serves it and nothing else
# (no database is touched). Each operation then runs as its own test against the `app`
# fixture's fresh database, so SQLite and PostgreSQL are set up and cleaned as usual.
# (schemathesis.pytest.from_fixture would load it per test, but does not work on pytest 9.)
# Bounded: the examples and 15 generated cases per operation; the exhaustive coverage
# phase (~100 boundary cases an operation) is off to keep this under a minute.
CONFIG = SchemathesisConfig.from_str("[phases.coverage]\nenabled = false\n")
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://"), config=CONFIG)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, callers):
    for headers in callers.values():
        case.call_and_validate(headers=headers, checks=CHECKS, app=app)
