"""The review queue reads its page from the (status, submitted_at, id, amount) index in
order, without sorting, and counts and totals one status from the need table alone
(migration 0010_review_queue_index), on SQLite and PostgreSQL."""

from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus
from app.services.search import ReviewFilters, review_needs
from tests import factories
from tests.conftest import login


def plan(query: sa.Select) -> str:
    sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "postgresql":
        # A test database is tiny: make the planner show what it does with many rows.
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        db.session.execute(sa.text("SET LOCAL enable_sort = off"))
        rows = db.session.execute(sa.text("EXPLAIN " + sql)).scalars()
    else:
        rows = (r[-1] for r in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    text = "\n".join(rows)
    db.session.rollback()
    return text


def test_the_queue_is_read_in_order_from_its_index(admin, owner):
    for _ in range(3):
        factories.make_need(org=owner.org, status=NeedStatus.submitted)
    db.session.commit()
    text = plan(review_needs(admin, ReviewFilters()).limit(20))
    assert "ix_financing_need_review" in text
    assert "TEMP B-TREE" not in text.upper() and "Sort" not in text


def test_the_count_and_total_of_the_queue_read_the_need_table_alone(client, admin, owner, count_queries):
    submitted = [factories.make_need(org=owner.org, status=NeedStatus.submitted, amount=Decimal(a))
                 for a in ("100.00", "250.50")]
    factories.make_need(org=owner.org, amount=Decimal("999.00"))  # a draft: never in the queue
    db.session.commit()
    login(client, admin)
    with count_queries() as counter:
        page = client.get("/needs/review").get_data(as_text=True)
    assert "共 2 项融资需求" in page and "350.5" in page
    totals = [s for s in counter.statements if "sum(" in s.lower()]
    assert len(totals) == 1 and "JOIN" not in totals[0].upper()
    district = submitted[0].project.district_code
    with count_queries() as counter:  # a filter on the project joins it, and still counts right
        client.get(f"/needs/review?district={district}")
    assert "JOIN" in [s for s in counter.statements if "sum(" in s.lower()][0].upper()
    assert db.session.scalar(sa.select(sa.func.count()).where(FinancingNeed.status == NeedStatus.submitted)) == 2
