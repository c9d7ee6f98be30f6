"""Two creations at once with the same unique key (a project code; an edition's year,
period and revision) end in the ordinary field error, not a 500.

Each race is run twice: in one session, with the rival row pending where the service's
check cannot see it (both databases), and on PostgreSQL for real, with two connections
in two threads: the second INSERT waits on the first transaction's lock and meets the
unique key once it commits.
"""

import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Edition, EditionStatus, NeedStatus, Organization, Project, User
from app.reference import Category, Level, Stage
from app.services import editions, projects
from app.services.errors import ValidationFailed
from tests import factories
from tests.conftest import POSTGRES, login

CODE = "2026-510112-48-01-777001"


def project_data(code=CODE, name="天府大道北延线"):
    return {
        "name": name, "code": code, "level": Level.municipal, "category": Category.infrastructure,
        "industry_code": "48", "district_code": "510112", "zone_code": None,
        "total_investment": Decimal("150000.00"), "annual_planned_investment": Decimal("30000.00"),
        "stage": Stage.under_construction, "reserve_substage": None, "planned_start": None,
        "planned_completion": None, "actual_start": None, "actual_completion": None,
        "is_priority": False, "description": "",
    }


def _rival_project(org, code=CODE):
    """A row with the same code that the check does not see: pending, not yet flushed."""
    return Project(org=org, **{**project_data(code=code, name="另一单位的同号项目"),
                               "total_investment": 1, "annual_planned_investment": 1})


def test_a_project_code_taken_meanwhile_is_the_code_field_error(owner, other_owner):
    db.session.commit()
    with db.session.no_autoflush:
        db.session.add(_rival_project(other_owner.org))
        with pytest.raises(ValidationFailed) as caught:
            projects.create_project(owner.org, project_data(), by=owner)
    assert list(caught.value.errors) == ["code"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_a_project_code_taken_meanwhile_on_edit_is_the_code_field_error(owner, other_owner):
    project = projects.create_project(owner.org, project_data(), by=owner)
    db.session.commit()
    with db.session.no_autoflush:
        db.session.add(_rival_project(other_owner.org, code="2026-510112-48-01-777002"))
        with pytest.raises(ValidationFailed) as caught:
            projects.update_project(project, project_data(code="2026-510112-48-01-777002"),
                                    version=project.version, by=owner)
    assert list(caught.value.errors) == ["code"]
    db.session.rollback()
    assert db.session.get(Project, project.id).code == CODE


def test_another_integrity_error_is_not_disguised_as_a_taken_code(owner):
    db.session.commit()
    orphan = Project(org_id=None, **{**project_data(code="2026-510112-48-01-777003"),
                                     "total_investment": 1, "annual_planned_investment": 1})
    with db.session.no_autoflush:
        db.session.add(orphan)  # org_id NOT NULL: not a unique key
        with pytest.raises(sa.exc.IntegrityError):
            projects.create_project(owner.org, project_data(), by=owner)
    db.session.rollback()


def test_an_edition_opened_meanwhile_is_the_period_field_error(admin):
    db.session.commit()
    with db.session.no_autoflush:
        db.session.add(Edition(year=2026, period=6, revision=1, status=EditionStatus.draft))
        # The rival draft is pending: the service's "is there one already?" misses it.
        with pytest.raises(ValidationFailed) as caught:
            editions.open_draft(2026, 6, by=admin)
    assert list(caught.value.errors) == ["period"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Edition)) == 0


def test_a_correction_opened_meanwhile_is_the_note_field_error(admin, owner_org):
    factories.make_need(org=owner_org, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    published = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(published, by=admin)
    db.session.commit()
    with db.session.no_autoflush:
        db.session.add(Edition(year=2026, period=6, revision=2, status=EditionStatus.draft,
                               correction_note="另一位管理员的更正"))
        with pytest.raises(ValidationFailed) as caught:
            editions.create_correction(published, "更正第3项金额", by=admin)
    assert list(caught.value.errors) == ["correction_note"]
    db.session.rollback()


def test_the_compile_page_flashes_a_lost_race_and_changes_nothing(client, admin, monkeypatch):
    login(client, admin)
    # The request's draft and a rival one reach the database in one flush: the unique key
    # refuses the second, as it refuses a second administrator's a moment later.
    monkeypatch.setattr(editions, "open_draft", lambda year, period, *, by: _flush_twice(year, period))
    response = client.post("/editions/compile", data={"year": "2026", "period": "6"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/editions/")
    assert "其他管理员刚刚已创建本期清单草稿" in client.get("/editions/").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Edition)) == 0


def _flush_twice(year, period):
    for _ in range(2):
        db.session.add(Edition(year=year, period=period, revision=1, status=EditionStatus.draft))
    from app.services.errors import flush_unique

    flush_unique(editions.EDITION_TAKEN)


# ---- the real thing, on PostgreSQL -----------------------------------------------------------
def _race(app, first, second):
    """Run first() and second() in two threads, each in its own app context (its own
    session and connection). first flushes and holds its transaction open until second
    waits on its lock; then first commits. Returns (first's outcome, second's outcome)."""
    flushed, release = threading.Event(), threading.Event()
    outcomes = {}

    def run(name, work, after_flush=None):
        with app.app_context():
            try:
                work()
                if after_flush:
                    after_flush()
                db.session.commit()
                outcomes[name] = "saved"
            except ValidationFailed as exc:
                db.session.rollback()
                outcomes[name] = exc
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcomes[name] = exc
            finally:
                db.session.remove()

    def hold():
        flushed.set()
        release.wait(10)

    a = threading.Thread(target=run, args=("first", first, hold))
    a.start()
    assert flushed.wait(10)
    b = threading.Thread(target=run, args=("second", second))
    b.start()
    _wait_for_lock_wait()
    release.set()
    a.join(10)
    b.join(10)
    return outcomes["first"], outcomes["second"]


def _wait_for_lock_wait(timeout=10.0):
    """Until a backend of this database waits on a lock (the second INSERT)."""
    engine = sa.create_engine(db.engine.url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"))
            if waiting:
                return
            time.sleep(0.05)
        raise AssertionError("the second transaction never waited on the first")
    finally:
        engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="two writers at once need PostgreSQL")
def test_two_projects_created_at_once_with_one_code(app, owner, other_owner):
    ids = {"a": (owner.org_id, owner.id), "b": (other_owner.org_id, other_owner.id)}
    db.session.commit()

    def create(key):
        org_id, user_id = ids[key]
        return lambda: projects.create_project(db.session.get(Organization, org_id), project_data(),
                                               by=db.session.get(User, user_id))

    first, second = _race(app, create("a"), create("b"))
    assert first == "saved"
    assert isinstance(second, ValidationFailed), second
    assert list(second.errors) == ["code"]
    assert db.session.scalars(sa.select(Project.org_id)).all() == [owner.org_id]


@pytest.mark.skipif(not POSTGRES, reason="two writers at once need PostgreSQL")
def test_two_administrators_open_one_edition_at_once(app, admin):
    other = factories.make_user(admin.org, admin.role)
    ids = (admin.id, other.id)
    db.session.commit()

    def compile_as(user_id):
        return lambda: editions.open_draft(2026, 6, by=db.session.get(User, user_id))

    first, second = _race(app, compile_as(ids[0]), compile_as(ids[1]))
    assert first == "saved"
    assert isinstance(second, ValidationFailed), second
    assert list(second.errors) == ["period"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Edition)) == 1
