"""move_all: many objects through one transition at once, with the entries move() writes."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, FinancingNeed, NeedStatus
from app.services.errors import InvalidTransition, StaleEdit
from app.services.workflow import move, move_all
from tests import factories


def entries(needs) -> list[tuple]:
    return list(db.session.execute(
        sa.select(AuditEntry.object_id, AuditEntry.actor_id, AuditEntry.action, AuditEntry.before,
                  AuditEntry.after, AuditEntry.note)
        .where(AuditEntry.object_type == "financing_need",
               AuditEntry.object_id.in_([n.id for n in needs]))
        .order_by(AuditEntry.id)).all())


def test_move_all_writes_what_move_writes_one_by_one(admin, owner_org):
    one_by_one = [factories.make_need(org=owner_org, status=NeedStatus.approved) for _ in range(3)]
    at_once = [factories.make_need(org=owner_org, status=NeedStatus.approved) for _ in range(3)]
    db.session.commit()
    for need in one_by_one:
        move(need, NeedStatus.listed, by=admin, note="2026年第6期")
    move_all(at_once, NeedStatus.listed, by=admin, note="2026年第6期")
    db.session.commit()

    assert [e[1:] for e in entries(at_once)] == [e[1:] for e in entries(one_by_one)]
    assert [e[0] for e in entries(at_once)] == [n.id for n in at_once]  # in the order given
    db.session.expire_all()
    assert {n.status for n in at_once} == {NeedStatus.listed}
    assert [n.version for n in at_once] == [n.version for n in one_by_one]


def test_move_all_moves_nothing_when_one_move_is_illegal(admin, owner_org):
    approved = factories.make_need(org=owner_org, status=NeedStatus.approved)
    draft = factories.make_need(org=owner_org, status=NeedStatus.draft)  # draft -> listed: no
    db.session.commit()
    with pytest.raises(InvalidTransition):
        move_all([approved, draft], NeedStatus.listed, by=admin)
    db.session.rollback()
    assert (approved.status, draft.status) == (NeedStatus.approved, NeedStatus.draft)
    assert entries([approved, draft]) == []


def test_move_all_refuses_a_row_changed_behind_its_back(admin, owner_org):
    kept, changed = (factories.make_need(org=owner_org, status=NeedStatus.approved) for _ in range(2))
    db.session.commit()
    assert (kept.version, changed.version) == (1, 1)  # as the publisher read them
    table = FinancingNeed.__table__  # another writer's edit, unseen by the objects in memory
    db.session.execute(sa.update(table).where(table.c.id == changed.id).values(version=2))
    with pytest.raises(StaleEdit):
        move_all([kept, changed], NeedStatus.listed, by=admin)
    db.session.rollback()
    assert kept.status is changed.status is NeedStatus.approved
    assert entries([kept, changed]) == []
