"""Scopes are the rules: for every model with a scope (permissions.SCOPES), the rows the
scope query lists for a user are exactly the rows `can(user, "view", row)` lets them see.

One world holds every kind of user (each role × account status × organisation status,
and the anonymous visitor) and, in every organisation, objects in every status; each
user's scope is run in the database and held against the rule for every object, theirs
and other organisations' alike. A model given a scope without objects here fails.
"""

import inspect
import shutil
from dataclasses import dataclass, field

import pytest
from flask_login import AnonymousUserMixin

from app.extensions import db
from app.models import (
    Edition,
    EditionStatus,
    FinancingNeed,
    Follow,
    Interest,
    InterestStatus,
    Invitation,
    NeedStatus,
    OrgStatus,
    Project,
    Role,
    SavedSearch,
    UserStatus,
)
from app.reference import Instrument, OrgKind
from app.services import interest_rules, permissions
from app.services.permissions import SCOPES, can
from tests import factories
from tests.conftest import POSTGRES, empty_postgres

KIND_OF_ROLE = {Role.owner: OrgKind.owner, Role.institution: OrgKind.bank,
                Role.expert: OrgKind.securities, Role.admin: OrgKind.government}
ANONYMOUS = "anonymous"
NOBODY = "nobody"  # services and commands called without a user
USER_CASES = [ANONYMOUS, NOBODY] + [
    (role, user_status, org_status)
    for role in Role for user_status in UserStatus for org_status in OrgStatus
]


def _case_id(case) -> str:
    if isinstance(case, str):
        return case
    role, user_status, org_status = case
    return f"{role.value}-{user_status.value}-in-{org_status.value}-org"


@dataclass
class World:
    users: dict = field(default_factory=dict)  # user case -> User
    projects: list = field(default_factory=list)
    needs: list = field(default_factory=list)
    editions: list = field(default_factory=list)
    searches: list = field(default_factory=list)
    invitations: list = field(default_factory=list)
    interests: list = field(default_factory=list)
    follows: list = field(default_factory=list)

    def user(self, case):
        if case == ANONYMOUS:
            return AnonymousUserMixin()
        if case == NOBODY:
            return None
        return self.users[case]


# The objects of each scoped model: a model with a scope and no line here fails below.
OBJECTS = {
    Project: lambda world: world.projects,
    FinancingNeed: lambda world: world.needs,
    Edition: lambda world: world.editions,
    SavedSearch: lambda world: world.searches,
    Invitation: lambda world: world.invitations,
    Interest: lambda world: world.interests,
    Follow: lambda world: world.follows,
}


def _build() -> World:
    world = World()
    for role in Role:
        for org_status in OrgStatus:
            org = factories.make_org(KIND_OF_ROLE[role], status=org_status)
            for user_status in UserStatus:
                user = factories.make_user(org, role, status=user_status)
                world.users[(role, user_status, org_status)] = user
                search = SavedSearch(user=user, name="成都市", filters={"district": "510100"})
                db.session.add(search)
                world.searches.append(search)
            # Whatever its kind, every organisation holds a project without needs, one
            # project per need status, and one project with a need in every status.
            world.projects.append(factories.make_project(org=org))
            for status in NeedStatus:
                need = factories.make_need(org=org, status=status)
                world.needs.append(need)
                world.projects.append(need.project)
            mixed = factories.make_project(org=org)
            world.projects.append(mixed)
            world.needs += [factories.make_need(mixed, status=status) for status in NeedStatus]
    # 定向推送: every owner organisation's listed and submitted needs pushed to every bank.
    admin = world.users[(Role.admin, UserStatus.active, OrgStatus.verified)]
    banks = {u.org for (role, _u, _o), u in world.users.items() if role is Role.institution}
    for need in world.needs:
        if need.project.org.kind is OrgKind.owner and need.status in (NeedStatus.listed, NeedStatus.submitted):
            for bank in sorted(banks, key=lambda o: o.id):
                world.invitations.append(Invitation(need=need, org=bank, invited_by_id=admin.id))
    db.session.add_all(world.invitations)
    # Every institution organisation holds an interest in every status and a follow per
    # user, on needs of owner organisations of every verification status.
    owner_needs = [n for n in world.needs if n.project.org.kind is OrgKind.owner]
    institutions = sorted({u.org for (role, _s, _o), u in world.users.items() if role is Role.institution},
                          key=lambda org: org.id)
    for k, org in enumerate(institutions):
        for i, status in enumerate(InterestStatus):
            need = owner_needs[(i * 5 + k) % len(owner_needs)]
            interest = Interest(need=need, org_id=org.id, created_by_id=org.users[0].id, status=status,
                                instrument=Instrument.project_loan, amount=1000)
            db.session.add(interest)
            world.interests.append(interest)
        for j, user in enumerate(org.users):
            follow = Follow(need=owner_needs[(j * 7 + k) % len(owner_needs)], user_id=user.id, org_id=org.id)
            db.session.add(follow)
            world.follows.append(follow)
    for period, status in enumerate(EditionStatus, start=1):
        world.editions.append(Edition(year=2026, period=period, status=status))
    db.session.add_all(world.editions)
    db.session.flush()
    return world


@pytest.fixture(scope="module")
def world(_shared_app, _schema):
    """The world, built once for the module on a database of its own, never committed:
    the rules read the objects as built, the scopes read the same rows in the database."""
    app = _shared_app
    with app.app_context():
        if not POSTGRES:
            db.engine.dispose()
            shutil.copyfile(_schema, app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        try:
            yield _build()
        finally:
            db.session.rollback()
            db.session.remove()
            if POSTGRES:  # the ids the rolled-back rows took start again for the next test
                empty_postgres()
            db.engine.dispose()


def _org_id(obj) -> int | None:
    if isinstance(obj, Project):
        return obj.org_id
    if isinstance(obj, FinancingNeed):
        return obj.project.org_id
    if isinstance(obj, SavedSearch):
        return obj.user.org_id
    if isinstance(obj, (Invitation, Interest, Follow)):
        return obj.org_id
    return None


def _describe(obj, user) -> str:
    status = getattr(obj, "status", None)
    if isinstance(obj, Project):
        status = "/".join(sorted(n.status.value for n in obj.needs)) or "no needs"
    elif isinstance(obj, SavedSearch):
        status = "own" if getattr(user, "id", None) == obj.user_id else "another user's"
    whose = ""
    if _org_id(obj) is not None:
        whose = " of its own organisation" if getattr(user, "org_id", None) == _org_id(obj) else " of another"
    shown = status.value if hasattr(status, "value") else status
    return f"{type(obj).__name__} {obj.id} ({shown}){whose}: can view {can(user, 'view', obj)}"


def test_every_scope_is_registered_and_has_objects_here():
    """A new `visible_*` scope must be in SCOPES, and every SCOPES model in OBJECTS."""
    scopes = {name for module in (permissions, interest_rules)
              for name, fn in inspect.getmembers(module, inspect.isfunction)
              if name.startswith("visible_") and fn.__module__ == module.__name__}
    assert scopes == {fn.__name__ for fn in SCOPES.values()}
    missing = [model.__name__ for model in SCOPES if model not in OBJECTS]
    assert not missing, f"scoped models without objects in this test: {missing}"


@pytest.mark.parametrize("model", list(SCOPES), ids=lambda model: model.__name__)
@pytest.mark.parametrize("case", USER_CASES, ids=_case_id)
def test_the_scope_lists_exactly_what_the_rule_shows(world, model, case):
    assert model in OBJECTS, f"{model.__name__} has a scope but no objects in this test"
    user = world.user(case)
    listed = set(db.session.scalars(SCOPES[model](user)))
    objects = OBJECTS[model](world)
    assert listed <= set(objects)  # every row of the model is one of the world's objects
    disagree = [_describe(obj, user) for obj in objects if can(user, "view", obj) != (obj in listed)]
    assert not disagree, "\n".join(disagree)


@pytest.mark.parametrize("model", list(SCOPES), ids=lambda model: model.__name__)
def test_the_world_tells_seeing_from_not_seeing(world, model):
    """Each model's objects are seen by some users and hidden from others, own
    organisation and other organisations' alike: the test above can fail."""
    seen, hidden = set(), set()
    for case in USER_CASES:
        user = world.user(case)
        for obj in OBJECTS[model](world):
            mine = _org_id(obj) is not None and getattr(user, "org_id", None) == _org_id(obj)
            (seen if can(user, "view", obj) else hidden).add(mine)
    assert seen and hidden
    if model in (Project, FinancingNeed):
        assert seen == hidden == {True, False}


def test_verification_decides_what_an_owner_lists_of_its_own(world):
    """The same-organisation rule needs a verified user: an active owner of a verified
    organisation lists its projects in every status, every other owner none of them."""
    for (role, user_status, org_status), user in world.users.items():
        if role is not Role.owner:
            continue
        own = {p for p in world.projects if p.org_id == user.org_id}
        listed = set(db.session.scalars(SCOPES[Project](user)))
        verified = user_status is UserStatus.active and org_status is OrgStatus.verified
        assert (own & listed == own) if verified else not (own & listed), (user_status, org_status)
