"""Accounts: registration, verification by admins, sessions, passwords and API tokens."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Notification, OrgStatus, Role, UserSession, UserStatus
from app.reference import OrgKind
from app.services import accounts
from app.services.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tests import factories

CHENGDU_BANK = "91510100633142770A"


def register(**overrides):
    data = dict(org_name="成都银行股份有限公司", credit_code_value=CHENGDU_BANK, kind=OrgKind.bank,
                email="founder@bank.cn", name="张三", password="Furong-Bridge-48")
    data.update(overrides)
    return accounts.register_organization(**data)


def audit_actions(obj) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == obj.__tablename__, AuditEntry.object_id == obj.id)
        .order_by(AuditEntry.id)))


def test_register_organization_creates_pending_org_and_founder(app):
    user = register(credit_code_value=" 91510100633142770a ")
    assert user.org.credit_code == CHENGDU_BANK
    assert user.org.status is OrgStatus.pending and user.status is UserStatus.pending
    assert user.role is Role.institution  # a bank's staff
    assert not user.is_verified and accounts.may_log_in(user)
    assert user.password_hash.startswith("scrypt:") and "Furong-Bridge-48" not in user.password_hash
    assert audit_actions(user.org) == ["organization.register"]


@pytest.mark.parametrize("overrides, field", [
    ({"credit_code_value": "91510100633142770B"}, "credit_code"),
    ({"password": "12345678"}, "password"),
    ({"password": "abcdefgh"}, "password"),
])
def test_register_refuses_bad_input(app, overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        register(**overrides)
    assert field in exc.value.errors


def test_register_refuses_duplicate_code_and_email(app):
    register()
    with pytest.raises(ValidationFailed) as exc:
        register(email="second@bank.cn")
    assert "credit_code" in exc.value.errors
    with pytest.raises(accounts.AlreadyRegistered):  # the view answers as for a registration
        register(credit_code_value="914403001922038216", email="FOUNDER@bank.cn")


def test_register_cannot_create_a_government_org(app):
    with pytest.raises(NotAllowed):
        register(kind=OrgKind.government)


def test_join_verified_org_gives_pending_member(app, bank_org):
    user = accounts.register_member(credit_code_value=bank_org.credit_code.lower(), email="m@bank.cn",
                                    name="李四", password="Furong-Bridge-48")
    assert user.org == bank_org and user.status is UserStatus.pending
    assert user.role is Role.institution


@pytest.mark.parametrize("status", [OrgStatus.pending, OrgStatus.rejected, OrgStatus.deactivated])
def test_join_unverified_org_is_refused(app, status):
    org = factories.make_org(OrgKind.owner, status=status)
    with pytest.raises(ValidationFailed) as exc:
        accounts.register_member(credit_code_value=org.credit_code, email="m@x.cn", name="x",
                                 password="Furong-Bridge-48")
    assert "credit_code" in exc.value.errors


def test_join_unknown_code(app):
    with pytest.raises(ValidationFailed):
        accounts.register_member(credit_code_value=CHENGDU_BANK, email="m@x.cn", name="x",
                                 password="Furong-Bridge-48")


def test_verify_organization_activates_founder_and_notifies(app, admin):
    founder = register()
    accounts.verify_organization(founder.org, by=admin)
    assert founder.org.status is OrgStatus.verified and founder.status is UserStatus.active
    assert founder.is_verified
    assert db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == founder.id)) \
        == "org_verified"
    assert audit_actions(founder.org)[-1] == "organization.verified"
    assert audit_actions(founder)[-1] == "user.active"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reject_needs_a_reason(app, admin, reason):
    founder = register()
    with pytest.raises(ValidationFailed):
        accounts.reject_organization(founder.org, reason=reason, by=admin)
    with pytest.raises(ValidationFailed):
        accounts.reject_user(founder, reason=reason, by=admin)
    assert founder.org.status is OrgStatus.pending


def test_reject_records_reason(app, admin):
    founder = register()
    accounts.reject_organization(founder.org, reason="营业执照与名称不符", by=admin)
    assert founder.org.status is OrgStatus.rejected
    assert founder.org.status_reason == "营业执照与名称不符"
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "organization.rejected")).one()
    assert entry.note == "营业执照与名称不符" and entry.actor_id == admin.id


def test_only_admins_verify(app, owner, institution):
    founder = register()
    for user in (owner, institution):
        with pytest.raises((NotAllowed, NotFound)):
            accounts.verify_organization(founder.org, by=user)


def test_approving_twice_is_an_invalid_transition(app, admin, bank_org):
    with pytest.raises(InvalidTransition):
        accounts.verify_organization(bank_org, by=admin)


def live_sessions(user) -> int:
    return db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))


def test_session_ends_on_logout(app, owner):
    token = accounts.start_session(owner)
    assert accounts.session_user(token) == owner
    accounts.end_session(token)
    assert accounts.session_user(token) is None


def test_deactivate_user_ends_sessions_and_tokens(app, admin, owner):
    token = accounts.start_session(owner)
    secret, _row = accounts.create_api_token(owner, "ERP")
    with pytest.raises(ValidationFailed):
        accounts.deactivate_user(owner, reason="", by=admin)
    accounts.deactivate_user(owner, reason="已离职", by=admin)
    assert live_sessions(owner) == 0
    assert accounts.session_user(token) is None
    assert accounts.user_for_api_token(secret) is None
    accounts.reactivate_user(owner, by=admin)
    assert accounts.session_user(token) is None  # old sessions stay ended


def test_admin_cannot_deactivate_self(app, admin):
    with pytest.raises(NotAllowed):
        accounts.deactivate_user(admin, reason="x", by=admin)


def test_deactivated_org_shuts_its_users_out(app, admin, owner):
    token = accounts.start_session(owner)
    accounts.deactivate_organization(owner.org, reason="主体注销", by=admin)
    assert accounts.session_user(token) is None
    assert not accounts.may_log_in(owner)
    accounts.reactivate_organization(owner.org, by=admin)
    assert accounts.may_log_in(owner)


def test_change_password_keeps_only_the_current_session(app, owner):
    keep, other = accounts.start_session(owner), accounts.start_session(owner)
    with pytest.raises(ValidationFailed) as exc:
        accounts.change_password(owner, current="wrong", new="Hibiscus-Lantern-73")
    assert "current_password" in exc.value.errors
    accounts.change_password(owner, current=factories.PASSWORD, new="Hibiscus-Lantern-73", keep_session=keep)
    assert accounts.session_user(keep) == owner and accounts.session_user(other) is None
    assert owner.check_password("Hibiscus-Lantern-73")


def test_reset_token_is_single_use(app, owner):
    token = accounts.make_reset_token(owner)
    assert accounts.user_for_reset_token(token) == owner
    accounts.reset_password(owner, "Jinli-Teahouse-19")
    assert accounts.user_for_reset_token(token) is None
    assert accounts.user_for_reset_token("garbage") is None


def test_reset_token_expires(app, owner):
    token = accounts.make_reset_token(owner)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert accounts.user_for_reset_token(token) is None


@pytest.mark.parametrize("role, ok", [(Role.expert, True), (Role.institution, True),
                                      (Role.admin, False), (Role.owner, False)])
def test_set_role_fits_the_organisation(app, admin, institution, role, ok):
    if ok:
        accounts.set_role(institution, role, by=admin)
        assert institution.role is role
    else:
        with pytest.raises(ValidationFailed):
            accounts.set_role(institution, role, by=admin)


def test_owner_staff_cannot_become_experts(app, admin, owner):
    assert accounts.assignable_roles(owner) == (Role.owner,)
    with pytest.raises(ValidationFailed):
        accounts.set_role(owner, Role.expert, by=admin)


def test_api_tokens_are_hashed_and_revocable(app, owner, other_owner):
    secret, row = accounts.create_api_token(owner, "ERP")
    assert secret.startswith("cp_") and secret not in row.token_hash and row.prefix == secret[:10]
    assert accounts.user_for_api_token(secret) == owner and row.last_used_at is not None
    with pytest.raises(NotFound):
        accounts.revoke_api_token(row.id, by=other_owner)
    accounts.revoke_api_token(row.id, by=owner)
    assert accounts.user_for_api_token(secret) is None
