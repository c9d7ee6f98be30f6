"""Two registrations with one e-mail address at the same moment, on two connections: the
unique key decides, and the loser answers like any registration (no 500)."""

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services.accounts import registration
from tests.conftest import POSTGRES
from tests.views.test_auth_views import reg_data

pytestmark = pytest.mark.skipif(
    not POSTGRES, reason="SQLite lets one writer in at a time: the race needs PostgreSQL (DATABASE_URL)")


def test_simultaneous_registrations_with_one_email(app, bank_org, mailbox, monkeypatch):
    db.session.commit()
    both_checked = threading.Barrier(2, timeout=10)
    waited = threading.local()
    original = registration.find_user_by_email

    def find_then_wait(email):
        # Both requests look the address up, find nothing, and only then go on to insert.
        found = original(email)
        if found is None and not getattr(waited, "done", False):
            waited.done = True
            both_checked.wait()
        return found

    monkeypatch.setattr(registration, "find_user_by_email", find_then_wait)
    data = reg_data(mode="join", credit_code=bank_org.credit_code, org_name="", email="twice@bank.cn")
    responses = [None, None]

    def register(i):
        responses[i] = app.test_client().post("/register?lang=en", data={**data, "name": f"客户经理{i}"})

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0].location == responses[1].location == "/login"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.email == "twice@bank.cn")) == 1
    [warning] = mailbox.to("twice@bank.cn")  # the loser's attempt, told to the address's owner
    assert "Someone tried to register" in warning["Subject"]  # the owner registered in English
