"""The flask commands an operator runs: demo data and the first administrator."""

import sqlalchemy as sa

from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.extensions import db
from app.models import Role, User, UserStatus
from app.reference import OrgKind


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_demo_load_prints_the_accounts_and_is_idempotent(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert DEMO_PASSWORD in result.output
    for email, _role in DEMO_ACCOUNTS:
        assert email in result.output

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "already present" in again.output
    assert "owner@demo.cn" in again.output


def test_create_admin_makes_a_verified_administrator(runner):
    result = runner.invoke(args=["users", "create-admin", "chief@test.cn", "--name", "张主任"],
                           input="Tianfu-Square-85\nTianfu-Square-85\n")
    assert result.exit_code == 0, result.output
    user = _user("chief@test.cn")
    assert user.role is Role.admin and user.status is UserStatus.active and user.is_verified
    assert user.org.kind is OrgKind.government and user.org.name == "成都市发展和改革委员会"
    assert user.check_password("Tianfu-Square-85")

    # The demo data then reuses that government organisation.
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert _user("admin@demo.cn").org_id == user.org_id

    again = runner.invoke(args=["users", "create-admin", "chief@test.cn"],
                          input="Tianfu-Square-85\nTianfu-Square-85\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["users", "create-admin", "weak@test.cn"], input="12345678\n12345678\n")
    assert result.exit_code != 0
    assert "密码过于简单" in result.output and "Traceback" not in result.output  # the reason, not a crash
    assert _user("weak@test.cn") is None
