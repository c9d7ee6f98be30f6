"""Institutions expressing interest and disbursing while the owner closes the need, for
real: separate connections in threads on PostgreSQL. The need's row lock makes them take
turns: no lost update, no duplicate interest, never more disbursed than the need's amount."""

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, Interest, InterestStatus, NeedStatus, User
from app.reference import OrgKind
from app.services import formatting, interests
from tests import factories
from tests.conftest import POSTGRES

pytestmark = pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL")


def _run_together(app, works: dict) -> dict:
    """Start every work at once, each in its own app context (session and connection);
    each commits or rolls back. Returns name -> "saved" or the exception."""
    barrier = threading.Barrier(len(works))
    outcomes = {}

    def run(name, work):
        with app.app_context():
            try:
                barrier.wait(10)
                work()
                db.session.commit()
                outcomes[name] = "saved"
            except Exception as exc:  # noqa: BLE001 - each outcome is asserted by the test
                db.session.rollback()
                outcomes[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=item) for item in works.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_disbursing_expressing_and_closing_at_once(app, owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"))
    other = factories.make_user(factories.make_org(OrgKind.bank), email="b@test.cn")
    third = factories.make_user(factories.make_org(OrgKind.bank), email="c@test.cn")
    today = formatting.today()
    a = factories.make_interest(need, institution, status=InterestStatus.approved,
                                credit_amount=Decimal("30000.00"), credit_date=today)
    b = factories.make_interest(need, other, status=InterestStatus.approved,
                                credit_amount=Decimal("30000.00"), credit_date=today)
    db.session.commit()
    ids = {"need": need.id, "a": a.id, "b": b.id, "bank_a": institution.id, "bank_b": other.id,
           "third": third.id, "owner": owner.id}

    def disburse(user_key, interest_key):
        def work():
            interest = db.session.get(Interest, ids[interest_key])
            interests.record_disbursement(db.session.get(User, ids[user_key]), interest,
                                          {"amount": Decimal("30000.00"), "disbursed_on": today})
        return work

    def express(amount):
        def work():
            interests.express_interest(db.session.get(User, ids["third"]), db.session.get(FinancingNeed, ids["need"]),
                                       factories.interest_data(amount=Decimal(amount)))
        return work

    def close():
        interests.close_financed(db.session.get(User, ids["owner"]), db.session.get(FinancingNeed, ids["need"]),
                                 partly=True, note="部分落实")

    outcomes = _run_together(app, {"a": disburse("bank_a", "a"), "b": disburse("bank_b", "b"),
                                   "third1": express("1000"), "third2": express("2000"), "close": close})
    assert outcomes["close"] == "saved", outcomes
    unexpected = {k: v for k, v in outcomes.items() if v != "saved" and type(v).__name__ not in
                  ("ValidationFailed", "InvalidTransition")}
    assert not unexpected, unexpected
    db.session.expire_all()
    disbursed = db.session.scalar(sa.select(sa.func.sum(Interest.disbursed_amount))
                                  .where(Interest.need_id == ids["need"]))
    assert disbursed == Decimal("30000.00")  # one of the two; never 60000 into a 50000 need
    assert sorted(v == "saved" for k, v in outcomes.items() if k in "ab") == [False, True]
    third_org = db.session.get(User, ids["third"]).org_id
    rows = db.session.scalars(sa.select(Interest).where(Interest.org_id == third_org)).all()
    assert len(rows) <= 1  # never two live interests of one institution
    saved_expressions = [k for k in ("third1", "third2") if outcomes[k] == "saved"]
    assert len(rows) == (1 if saved_expressions else 0)
    assert db.session.get(FinancingNeed, ids["need"]).status is NeedStatus.financed


def test_two_institutions_express_interest_while_the_owner_closes(app, owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"))
    factories.make_interest(need, institution, status=InterestStatus.approved,
                            credit_amount=Decimal("50000.00"), credit_date=formatting.today())
    banks = {key: factories.make_user(factories.make_org(OrgKind.bank), email=f"{key}@test.cn")
             for key in ("b", "c")}
    db.session.commit()
    ids = {"need": need.id, "owner": owner.id, "version": need.version,
           **{key: user.id for key, user in banks.items()}}

    def express(key):
        def work():
            interests.express_interest(db.session.get(User, ids[key]), db.session.get(FinancingNeed, ids["need"]),
                                       factories.interest_data(amount=Decimal("20000.00")))
        return work

    def close():
        interests.close_financed(db.session.get(User, ids["owner"]), db.session.get(FinancingNeed, ids["need"]))

    outcomes = _run_together(app, {"b": express("b"), "c": express("c"), "close": close})
    assert outcomes["close"] == "saved", outcomes
    for key in ("b", "c"):  # before the closing, or refused after it: nothing else
        assert outcomes[key] == "saved" or type(outcomes[key]).__name__ == "InvalidTransition", outcomes
    db.session.expire_all()
    closed = db.session.get(FinancingNeed, ids["need"])
    assert closed.status is NeedStatus.financed
    assert closed.amount == Decimal("50000.00")
    assert closed.version == ids["version"] + 1  # the closing's own change, nobody else's lost
    for key in ("b", "c"):
        org_id = db.session.get(User, ids[key]).org_id
        rows = db.session.scalars(sa.select(Interest).where(Interest.org_id == org_id)).all()
        assert len(rows) == (1 if outcomes[key] == "saved" else 0)
        assert all(r.amount == Decimal("20000.00") for r in rows)
