"""A role counts only for a verified user (an active account in a verified organisation).

Anyone can ask to join an organisation with its public credit code: until an
administrator lets them in, and once they are rejected or deactivated, they get nothing
the organisation holds, no API token and no administrator's rights. Administrators are
appointed, never self-registered.
"""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, AuditEntry, NeedStatus, OrgStatus, Role, UserStatus
from app.reference import OrgKind
from app.services import accounts
from app.services.errors import NotAllowed, NotFound, ValidationFailed
from app.services.permissions import can, visible_needs, visible_projects
from tests import factories

# (user status, organisation status) of a member of the owner's organisation who sees nothing of it
NOT_LET_IN = [
    pytest.param(UserStatus.pending, OrgStatus.verified, id="pending"),
    pytest.param(UserStatus.rejected, OrgStatus.verified, id="rejected"),
    pytest.param(UserStatus.deactivated, OrgStatus.verified, id="deactivated"),
    pytest.param(UserStatus.active, OrgStatus.deactivated, id="org-deactivated"),
    pytest.param(UserStatus.active, OrgStatus.rejected, id="org-rejected"),
]


def member(org, status, org_status=OrgStatus.verified, role=None):
    org.status = org_status
    return factories.make_user(org, role, status=status)


@pytest.fixture
def holdings(owner):
    """What the owner's organisation holds: a project with a need in every status."""
    project = factories.make_project(org=owner.org)
    needs = {status: factories.make_need(project=project, status=status) for status in NeedStatus}
    needs[NeedStatus.returned].review_comment = "请补充增信措施"
    db.session.flush()
    return project, needs


@pytest.mark.parametrize("status,org_status", NOT_LET_IN)
def test_a_member_not_let_in_sees_nothing_of_its_organisation(owner, holdings, status, org_status):
    project, needs = holdings
    user = member(owner.org, status)
    owner.org.status = org_status
    assert not can(user, "view", project)
    assert db.session.scalars(visible_projects(user)).all() == []
    assert db.session.scalars(visible_needs(user)).all() == []
    for need in needs.values():
        for action in ("view", "view_contact", "view_history", "edit", "submit", "attach"):
            assert not can(user, action, need), (action, need.status)
    # The organisation record itself stays readable by its own members (it says where they
    # stand), except by a deactivated account, which counts as nobody at all.
    assert can(user, "view", owner.org) is (status is not UserStatus.deactivated)


@pytest.mark.parametrize("status,org_status", [
    pytest.param(UserStatus.active, OrgStatus.verified, id="verified"), *NOT_LET_IN])
@pytest.mark.parametrize("role", [Role.owner, Role.institution, Role.expert, Role.admin])
def test_scopes_and_rules_agree_for_every_role_and_standing(holdings, role, status, org_status):
    """A list, a count and the API use the scopes; pages and buttons use can(): they never
    disagree about who sees what, whatever the user's verification."""
    project, needs = holdings
    kind = {Role.owner: None, Role.institution: OrgKind.bank, Role.expert: OrgKind.securities,
            Role.admin: OrgKind.government}[role]
    org = project.org if kind is None else factories.make_org(kind)
    user = member(org, status, role=role)
    org.status = org_status
    seen_needs = set(db.session.scalars(visible_needs(user)))
    for need in needs.values():
        assert can(user, "view", need) == (need in seen_needs), need.status
    assert can(user, "view", project) == (project in set(db.session.scalars(visible_projects(user))))
    if status is not UserStatus.active or org_status is not OrgStatus.verified:
        assert seen_needs <= {needs[NeedStatus.listed]}  # at most what the published list shows
        assert not any(can(user, "view_contact", n) for n in needs.values())


def test_an_unverified_institution_reads_only_the_public_list(holdings, unverified_institution):
    project, needs = holdings
    assert db.session.scalars(visible_needs(unverified_institution)).all() == [needs[NeedStatus.listed]]
    assert not can(unverified_institution, "view_contact", needs[NeedStatus.listed])


# ---- roles require verification ------------------------------------------------------------------
@pytest.mark.parametrize("status,org_status", NOT_LET_IN)
def test_the_admin_role_counts_only_for_a_verified_account(gov_org, status, org_status):
    user = member(gov_org, status, role=Role.admin)
    gov_org.status = org_status
    need = factories.make_need(status=NeedStatus.submitted)
    assert not user.is_admin and not user.has_role(Role.admin)
    assert not can(user, "approve", need) and not can(user, "view", need)
    with pytest.raises(NotFound):  # other organisations are not even visible to it
        accounts.verify_organization(factories.make_org(status=OrgStatus.pending), by=user)


def test_a_verified_account_holds_its_role(admin, owner):
    assert admin.is_admin and admin.has_role("admin") and admin.has_role(Role.owner, Role.admin)
    assert owner.has_role(Role.owner) and not owner.has_role(Role.admin) and not owner.is_admin


def test_only_active_verified_owners_are_told_of_their_needs(owner, admin):
    from app.services import needs as need_service

    pending = factories.make_user(owner.org, status=UserStatus.pending)
    need = factories.make_need(org=owner.org, status=NeedStatus.submitted)
    assert need_service._owners(need) == [owner]
    assert pending not in need_service._owners(need)


# ---- API tokens ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status,org_status", NOT_LET_IN)
def test_an_unverified_user_cannot_create_an_api_token(owner, status, org_status):
    user = member(owner.org, status)
    owner.org.status = org_status
    with pytest.raises(NotAllowed):
        accounts.create_api_token(user, "ERP")
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == user.id)) == 0


def test_nobody_creates_a_token_for_someone_else(owner, admin):
    with pytest.raises(NotAllowed):
        accounts.create_api_token(owner, "ERP", by=admin)
    secret, row = accounts.create_api_token(owner, "ERP")
    assert row.user == owner and secret.startswith(accounts.TOKEN_PREFIX)


def test_the_token_command_refuses_an_unverified_user(runner, owner):
    user = member(owner.org, UserStatus.pending)
    db.session.commit()
    result = runner.invoke(args=["tokens", "create", user.email])
    assert result.exit_code != 0 and "not verified" in result.output
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert runner.invoke(args=["tokens", "create", owner.email]).output.startswith(accounts.TOKEN_PREFIX)


# ---- nobody registers into the government organisation ----------------------------------------------
def test_joining_the_government_organisation_is_refused(gov_org):
    with pytest.raises(ValidationFailed) as caught:
        accounts.register_member(credit_code_value=gov_org.credit_code, email="me@test.cn",
                                 name="自称管理员", password="Secret123x")
    assert list(caught.value.errors) == ["credit_code"]
    assert accounts.find_user_by_email("me@test.cn") is None


def test_registering_a_government_organisation_is_refused(app):
    with pytest.raises(NotAllowed):
        accounts.register_organization(org_name="某市发展和改革委员会", credit_code_value=factories.valid_credit_code(),
                                       kind=OrgKind.government, email="me@test.cn", name="自称管理员",
                                       password="Secret123x")
    assert accounts.find_user_by_email("me@test.cn") is None


# ---- administrators are appointed ----------------------------------------------------------------------
def test_an_admin_appoints_an_administrator(app, admin):
    with app.test_request_context():  # the e-mail carries a link to this site
        appointed = accounts.appoint_admin(name=" 李晓梅 ", email="Li@Test.cn", by=admin)
    assert appointed.org == admin.org and appointed.role is Role.admin
    assert appointed.status is UserStatus.active and appointed.is_admin
    assert (appointed.name, appointed.email) == ("李晓梅", "li@test.cn")
    assert not appointed.check_password("")  # no usable password until the e-mailed link
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.appoint")).all()
    assert entry.actor_id == admin.id and entry.object_id == appointed.id
    assert entry.after["email"] == "li@test.cn"


def test_an_appointment_refuses_a_registered_email(admin, owner):
    with pytest.raises(ValidationFailed) as caught:
        accounts.appoint_admin(name="重复", email="OWNER@test.cn", by=admin)
    assert list(caught.value.errors) == ["email"]
    assert owner.role is Role.owner


@pytest.mark.parametrize("who", ["owner", "institution", "expert", "pending_gov"])
def test_only_an_admin_appoints(request, gov_org, who):
    by = member(gov_org, UserStatus.pending, role=Role.admin) if who == "pending_gov" else request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        accounts.appoint_admin(name="某人", email="someone@test.cn", by=by)
    assert accounts.find_user_by_email("someone@test.cn") is None


def test_the_admin_role_is_given_only_to_government_staff(admin, owner, institution, gov_org):
    """set_role offers each organisation's roles only: nobody outside the government
    organisation becomes an administrator."""
    for user in (owner, institution):
        with pytest.raises(ValidationFailed) as caught:
            accounts.set_role(user, Role.admin, by=admin)
        assert list(caught.value.errors) == ["role"] and not user.is_admin
    assert accounts.assignable_roles(owner) == (Role.owner,)
    assert Role.admin not in accounts.assignable_roles(institution)
    colleague = factories.make_user(gov_org, Role.admin)
    accounts.set_role(colleague, Role.admin, by=admin)  # the one role its organisation has
    assert colleague.is_admin


def test_standing_says_why_a_user_cannot_act(owner, unverified_owner):
    assert accounts.standing(owner) is None
    assert accounts.standing(unverified_owner) == ("org_pending", None)
    joined = member(owner.org, UserStatus.pending)
    assert accounts.standing(joined) == ("account_pending", None)
    joined.status, joined.status_reason = UserStatus.rejected, "非本单位员工"
    assert accounts.standing(joined) == ("account_rejected", "非本单位员工")
    owner.org.status, owner.org.status_reason = OrgStatus.deactivated, "单位已注销"
    assert accounts.standing(joined) == ("org_deactivated", "单位已注销")


def test_the_platform_operator_is_the_verified_government_organisation(gov_org, owner_org):
    assert accounts.platform_operator() == gov_org
    gov_org.status = OrgStatus.deactivated
    assert accounts.platform_operator() is None



def test_searches_are_saved_by_verified_readers_only(institution, unverified_institution):
    """Publications are announced to verified readers only: a search saved before
    verification would never be told of a match."""
    from app.services import editions

    with pytest.raises(NotAllowed):
        editions.save_search(unverified_institution, name="成都轨道", filters=editions.Filters(q="轨道"))
    assert editions.user_searches(unverified_institution) == []
    editions.save_search(institution, name="成都轨道", filters=editions.Filters(q="轨道"))
    assert len(editions.user_searches(institution)) == 1


def test_a_pending_government_member_cannot_be_approved_into_an_administrator(admin, gov_org):
    """One approval click would have made such an account an administrator."""
    pending = member(gov_org, UserStatus.pending, role=Role.admin)
    with pytest.raises(NotAllowed):
        accounts.verify_user(pending, by=admin)
    assert pending.status is UserStatus.pending and not pending.is_admin
    accounts.reject_user(pending, reason="管理员由现有管理员新增", by=admin)  # it can still be turned down
    assert pending.status is UserStatus.rejected
