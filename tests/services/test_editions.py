"""List editions: compiling, readiness checks, publishing (atomic, frozen), corrections,
changelog, search, saved searches and the publication e-mails."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEntry,
    Edition,
    EditionFile,
    EditionItem,
    EditionStatus,
    ItemMarker,
    Job,
    NeedStatus,
    Notification,
    SavedSearch,
)
from app.reference import Instrument, Level, ReserveSubstage, Stage
from app.services import editions, exports
from app.services.editions import Filters
from app.services.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tests import factories

# Capital in place 40,000 of 150,000 (26.7 %) clears the 20 % minimum capital ratio.
READY = dict(funds_secured=Decimal("40000.00"))


@pytest.fixture
def fast_exports(monkeypatch):
    """Cheap stand-ins for the PDF (a Typst compile of the fonts costs half a second); the others are real."""
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def ready_need(org=None, status=NeedStatus.approved, project_kw=None, **kw):
    project = factories.make_project(org=org, **(project_kw or {}))
    return factories.make_need(project, status=status, **{**READY, **kw})


def published(admin, year=2026, period=1):
    edition = editions.open_draft(year, period, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


# ---- compiling -----------------------------------------------------------------------
def test_compile_proposes_approved_needs_and_open_needs_of_previous_edition(admin, owner_org, fast_exports):
    first = ready_need(owner_org)
    financed_later = ready_need(owner_org)
    ready_need(owner_org, status=NeedStatus.submitted)  # not reviewed: never proposed
    previous = published(admin, 2026, 5)
    assert {i.need_id for i in previous.items} == {first.id, financed_later.id}
    financed_later.status = NeedStatus.financed
    fresh = ready_need(owner_org)
    db.session.commit()

    draft = editions.open_draft(2026, 6, by=admin)

    markers = {i.need_id: i.marker for i in draft.items}
    assert markers == {first.id: ItemMarker.carried, fresh.id: ItemMarker.new}
    assert draft.previous_id == previous.id
    assert sorted(i.seq for i in draft.items) == [1, 2]
    assert editions.open_draft(2026, 6, by=admin) is draft  # reopening finds the same draft


def test_only_admins_compile(owner, institution, app):
    for user in (owner, institution):
        with pytest.raises(NotFound):  # drafts are hidden from everyone but admins
            editions.open_draft(2026, 6, by=user)


def test_add_remove_and_sort_renumber(admin, owner_org):
    small = ready_need(owner_org, amount=Decimal("20000.00"))
    big = ready_need(owner_org, amount=Decimal("90000.00"),
                     project_kw=dict(level=Level.provincial, total_investment=Decimal("300000.00")),
                     funds_secured=Decimal("80000.00"))
    draft = editions.open_draft(2026, 6, by=admin)
    editions.remove_item(draft, next(i for i in draft.items if i.need_id == small.id), by=admin)
    assert [i.need_id for i in draft.items] == [big.id]
    assert editions.addable_needs(draft) == [small]

    editions.add_item(draft, small, by=admin)
    with pytest.raises(InvalidTransition):
        editions.add_item(draft, small, by=admin)
    editions.sort_items(draft, "amount", by=admin)
    assert [i.need_id for i in sorted(draft.items, key=lambda i: i.seq)] == [big.id, small.id]
    other = ready_need(owner_org, amount=Decimal("30000.00"))
    editions.add_item(draft, other, by=admin)
    assert [i.need_id for i in sorted(draft.items, key=lambda i: i.seq)] == [big.id, other.id, small.id]


# ---- readiness -------------------------------------------------------------------------------
def _codes(draft, need):
    flags = editions.check_readiness(draft)
    item = next(i for i in draft.items if i.need_id == need.id)
    return {f.code for f in flags[item.id]}


@pytest.mark.parametrize(("project_kw", "need_kw", "code"), [
    ({}, dict(READY), None),
    ({}, dict(funds_secured=Decimal("10000.00")), "capital_ratio"),  # 6.7 % < 20 %
    ({"industry_code": "31"}, dict(funds_secured=Decimal("50000.00")), "capital_ratio"),  # steel: 40 %
    ({"industry_code": "56"}, dict(funds_secured=Decimal("36000.00")), "capital_ratio"),  # airport: 25 %
    ({}, dict(amount=Decimal("120000.00"), funds_secured=Decimal("40000.00")), "amount"),
    ({"planned_start": date(2027, 1, 1), "planned_completion": date(2026, 1, 1)}, READY, "dates"),
    ({"stage": Stage.reserve, "reserve_substage": ReserveSubstage.agreement},
     dict(READY, instruments=[Instrument.abs_reits]), "instruments_stage"),
    ({"stage": Stage.completed}, dict(READY, instruments=[Instrument.project_loan]), "instruments_stage"),
    ({}, dict(READY, contact_phone=" "), "contact"),
    ({}, dict(READY, use_of_funds=""), "required"),
])
def test_readiness_checks(admin, owner_org, project_kw, need_kw, code):
    need = factories.make_need(factories.make_project(org=owner_org, **project_kw),
                               status=NeedStatus.approved, **need_kw)
    draft = editions.open_draft(2026, 6, by=admin)
    assert _codes(draft, need) == ({code} if code else set())


def test_duplicate_project_name_is_flagged(admin, owner_org):
    a = ready_need(owner_org, project_kw=dict(name="天府大道北延线"))
    b = ready_need(owner_org, project_kw=dict(name="天府大道北延线"))
    draft = editions.open_draft(2026, 6, by=admin)
    assert "duplicate" in _codes(draft, a) and "duplicate" in _codes(draft, b)


def test_red_flag_blocks_until_justified_then_yellow_with_reason(admin, owner_org, fast_exports):
    need = ready_need(owner_org, funds_secured=Decimal("10000.00"))
    draft = editions.open_draft(2026, 6, by=admin)
    with pytest.raises(ValidationFailed):
        editions.publish_edition(draft, by=admin)
    item = draft.items[0]
    with pytest.raises(ValidationFailed):
        editions.justify(item, "capital_ratio", "  ", by=admin)

    editions.justify(item, "capital_ratio", "地方政府专项债券作资本金已批复", by=admin)

    [flag] = editions.check_readiness(draft)[item.id]
    assert not flag.red and flag.justification == "地方政府专项债券作资本金已批复"
    editions.publish_edition(draft, by=admin)
    db.session.commit()
    assert draft.status is EditionStatus.published and need.status is NeedStatus.listed
    assert db.session.get(EditionItem, item.id).justifications["capital_ratio"]["reason"]


def test_closed_need_cannot_be_justified(admin, owner_org):
    need = ready_need(owner_org)
    draft = editions.open_draft(2026, 6, by=admin)
    need.status = NeedStatus.withdrawn
    assert "need_open" in _codes(draft, need)
    with pytest.raises(ValidationFailed):
        editions.justify(draft.items[0], "need_open", "还是要", by=admin)


# ---- publishing ----------------------------------------------------------------------------------
def test_publish_freezes_lists_supersedes_and_stores_files(admin, owner_org, fast_exports):
    old_need = ready_need(owner_org)
    previous = published(admin, 2026, 5)
    new_need = ready_need(owner_org)
    db.session.commit()

    edition = published(admin, 2026, 6)

    assert edition.status is EditionStatus.published and edition.published_by_id == admin.id
    assert previous.status is EditionStatus.superseded
    assert {old_need.status, new_need.status} == {NeedStatus.listed}
    snap = next(i.snapshot for i in edition.items if i.need_id == new_need.id)
    assert snap["marker"] == "new" and snap["amount"] == "50000.00" and snap["owner_org"] == owner_org.name
    assert snap["contact_name"] == "张伟" and snap["instruments"] == ["project_loan", "syndicated_loan"]
    files = {f.format: f for f in edition.files}
    assert set(files) == {"pdf", "xlsx", "csv", "json"}
    assert files["xlsx"].content[:2] == b"PK" and files["json"].size == len(files["json"].content)
    assert "张伟" not in files["csv"].content.decode("utf-8-sig")  # exports are public
    assert db.session.scalar(sa.select(sa.func.count()).where(
        AuditEntry.action == "edition.published", AuditEntry.object_id == edition.id)) == 1


def test_real_pdf_export_is_stored(admin, owner_org):
    ready_need(owner_org)
    edition = published(admin)
    assert next(f for f in edition.files if f.format == "pdf").content.startswith(b"%PDF")


def test_failed_publish_leaves_nothing_published(admin, owner_org, fast_exports, monkeypatch):
    first, second = ready_need(owner_org), ready_need(owner_org)
    previous = published(admin, 2026, 5)
    third = ready_need(owner_org)
    db.session.commit()
    draft = editions.open_draft(2026, 6, by=admin)
    db.session.commit()

    def broken(edition):  # called after every item is frozen and the needs moved
        raise RuntimeError("disk full")

    from app.services.editions import publishing

    monkeypatch.setattr(publishing, "changelog", broken)
    with pytest.raises(RuntimeError):
        editions.publish_edition(draft, by=admin)
    db.session.rollback()

    assert draft.status is EditionStatus.draft and draft.published_at is None
    assert all(i.snapshot is None for i in draft.items)
    assert previous.status is EditionStatus.published
    assert third.status is NeedStatus.approved and first.status is second.status is NeedStatus.listed
    assert db.session.scalar(sa.select(sa.func.count(EditionFile.id)).where(EditionFile.edition_id == draft.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Job.id)).where(Job.kind.like("edition.%"),
                                                                  Job.args["edition_id"].as_integer() == draft.id)) == 0


def test_published_edition_does_not_change_when_the_need_is_edited(admin, owner_org, fast_exports):
    need = ready_need(owner_org)
    edition = published(admin)
    need.amount = Decimal("1.00")
    need.project.name = "改名后的项目"
    db.session.commit()
    db.session.expire_all()
    item = db.session.get(Edition, edition.id).items[0]
    assert editions.item_data(item)["amount"] == "50000.00"
    assert editions.item_data(item)["project_name"] != "改名后的项目"
    with pytest.raises(InvalidTransition):
        editions.add_item(edition, ready_need(owner_org), by=admin)


def test_correction_is_a_new_revision_and_the_old_stays_readable(admin, owner_org, fast_exports):
    need = ready_need(owner_org)
    first = published(admin)
    with pytest.raises(ValidationFailed):
        editions.create_correction(first, "", by=admin)
    draft = editions.create_correction(first, "更正第1项的融资金额", by=admin)
    need.amount = Decimal("45000.00")
    editions.publish_edition(draft, by=admin)
    db.session.commit()

    assert (draft.revision, draft.status, draft.correction_note) == (2, EditionStatus.published, "更正第1项的融资金额")
    assert first.status is EditionStatus.superseded
    assert editions.get_edition(2026, 1, user=None).id == draft.id
    assert editions.get_edition(2026, 1, user=None, revision=1).items[0].snapshot["amount"] == "50000.00"
    assert draft.items[0].snapshot["amount"] == "45000.00"
    assert editions.meta(draft)["correction_note"] == "更正第1项的融资金额"
    with pytest.raises(InvalidTransition):
        editions.create_correction(first, "again", by=admin)


def test_maker_checker_needs_a_second_admin(app, admin, gov_org, owner_org, fast_exports):
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    second = factories.make_user(gov_org, admin.role, email="admin2@test.cn")
    ready_need(owner_org)
    draft = editions.open_draft(2026, 6, by=admin)
    with pytest.raises(InvalidTransition):
        editions.publish_edition(draft, by=admin)  # not requested yet
    editions.request_publication(draft, by=admin)
    with pytest.raises(InvalidTransition):
        editions.publish_edition(draft, by=admin)  # not one's own request

    editions.publish_edition(draft, by=second)
    db.session.commit()
    assert (draft.published_by_id, draft.approved_by_id) == (admin.id, second.id)
    assert draft.status is EditionStatus.published


# ---- changelog ---------------------------------------------------------------------------------
def test_changelog_new_carried_removed_changed(admin, owner_org, fast_exports):
    kept, financed, dropped = ready_need(owner_org), ready_need(owner_org), ready_need(owner_org)
    published(admin, 2026, 5)
    financed.status = NeedStatus.financed
    kept.amount = Decimal("60000.00")
    fresh = ready_need(owner_org)
    db.session.commit()
    draft = editions.open_draft(2026, 6, by=admin)
    editions.remove_item(draft, next(i for i in draft.items if i.need_id == dropped.id), by=admin)
    editions.publish_edition(draft, by=admin)
    db.session.commit()

    log = editions.changelog(draft)
    assert [e["need_id"] for e in log["new"]] == [fresh.id]
    assert [e["need_id"] for e in log["carried"]] == [kept.id]
    assert {e["need_id"]: e["reason"] for e in log["removed"]} == {financed.id: "financed", dropped.id: "not_carried"}
    [change] = log["changed"]
    assert change["need_id"] == kept.id and change["fields"] == ["amount"]
    assert (change["before"]["amount"], change["after"]["amount"]) == ("50000.00", "60000.00")
    assert draft.changelog == log  # frozen with the edition


def test_publishing_files_an_item_under_the_instruments_its_need_has_at_publication(admin, owner_org, fast_exports):
    changed = ready_need(owner_org, instruments=[Instrument.project_loan])
    kept = ready_need(owner_org, instruments=[Instrument.bond])
    draft = editions.open_draft(2026, 6, by=admin)
    db.session.commit()
    changed.set_instruments([Instrument.syndicated_loan, Instrument.bond])  # after compiling
    db.session.commit()

    editions.preload(draft)
    editions.publish_edition(draft, by=admin)
    db.session.commit()

    assert _found(draft, instrument="syndicated_loan") == {changed.id}
    assert _found(draft, instrument="bond") == {changed.id, kept.id}
    assert _found(draft, instrument="project_loan") == set()
    item = next(i for i in draft.items if i.need_id == changed.id)
    assert sorted(r.instrument.value for r in item.instrument_rows) == ["bond", "syndicated_loan"]
    assert item.snapshot["instruments"] == ["syndicated_loan", "bond"]


# ---- reading: filters and search -----------------------------------------------------------------
@pytest.fixture
def search_world(admin, owner_org, fast_exports):
    org2 = factories.make_org(name="成都轨道交通集团有限公司")
    needs = {
        "metro": ready_need(org2, project_kw=dict(name="成都地铁30号线一期工程", district_code="510104",
                                                  level=Level.provincial, description="城市轨道交通"),
                            amount=Decimal("100000.00"), funds_secured=Decimal("50000.00"),
                            instruments=[Instrument.syndicated_loan]),
        "water": ready_need(owner_org, project_kw=dict(name="天府新区污水处理厂", description="日处理10万吨_污水"),
                            amount=Decimal("20000.00"), instruments=[Instrument.bond]),
        "school": ready_need(owner_org, project_kw=dict(name="锦江区学校建设", description="新建小学100%覆盖"),
                             amount=Decimal("30000.00")),
    }
    edition = published(admin, 2026, 6)
    return edition, {k: v.id for k, v in needs.items()}


def _found(edition, **args):
    return {i.need_id for i in db.session.scalars(editions.search_items(edition, Filters.from_args(args)))}


@pytest.mark.parametrize(("args", "expected"), [
    ({"q": "污"}, {"water"}),  # one character
    ({"q": "地铁"}, {"metro"}),  # two
    ({"q": "轨道交通"}, {"metro"}),  # four, in the owner and the description
    ({"q": "成都城投"}, {"water", "school"}),  # the owner's name
    ({"q": "学校建"}, {"school"}),
    ({"q": "%"}, {"school"}),  # LIKE wildcards are taken literally
    ({"q": "_"}, {"water"}),
    ({"q": "不存在"}, set()),
    ({"district": "510104"}, {"metro"}),
    ({"level": "provincial"}, {"metro"}),
    ({"instrument": "bond"}, {"water"}),
    ({"instrument": "syndicated_loan"}, {"metro", "school"}),
    ({"min_amount": "25000", "max_amount": "100000"}, {"metro", "school"}),
    ({"marker": "new"}, {"metro", "water", "school"}),
    ({"marker": "carried"}, set()),
    ({"category": "infrastructure", "q": "成都"}, {"metro", "water", "school"}),
])
def test_filters_and_chinese_search(search_world, args, expected):
    edition, ids = search_world
    assert _found(edition, **args) == {ids[k] for k in expected}


def test_sorting_by_amount(search_world):
    edition, ids = search_world
    rows = db.session.scalars(editions.search_items(edition, Filters.from_args({"sort": "amount_desc"})))
    assert [r.need_id for r in rows] == [ids["metro"], ids["school"], ids["water"]]


# ---- saved searches and the publication notice --------------------------------------------------
def test_saved_searches_belong_to_their_user(institution, owner, expert):
    search = editions.save_search(institution, name="锦江区", filters=Filters.from_args({"district": "510104"}))
    assert search.filters == {"district": "510104"}
    assert editions.user_searches(institution) == [search]
    with pytest.raises(ValidationFailed):
        editions.save_search(institution, name=" ", filters=Filters())
    with pytest.raises(NotAllowed):
        editions.save_search(owner, name="x", filters=Filters())
    with pytest.raises(NotFound):  # another reader's search does not exist for them
        editions.delete_search(search, by=expert)
    editions.delete_search(search, by=institution)
    assert db.session.scalar(sa.select(sa.func.count(SavedSearch.id))) == 0


def test_publication_notifies_readers_with_their_matches(admin, owner_org, institution, expert,
                                                          unverified_institution, owner, mailbox, fast_exports):
    ready_need(owner_org, project_kw=dict(district_code="510104"))
    ready_need(owner_org, project_kw=dict(district_code="510104"))
    ready_need(owner_org, project_kw=dict(district_code="510105"))
    editions.save_search(institution, name="锦江区项目", filters=Filters.from_args({"district": "510104"}))
    quiet = factories.make_user(institution.org, email="quiet@test.cn")
    editions.save_search(quiet, name="不发邮件", filters=Filters(), email=False)
    db.session.commit()

    published(admin, 2026, 6)

    [msg] = mailbox.to("bank@test.cn")
    body = mailbox.body(msg)
    assert "2" in msg["Subject"] and "锦江区项目" in body and "3" in body
    assert len(mailbox.to("expert@test.cn")) == 1
    assert not mailbox.to("quiet@test.cn") and not mailbox.to("new-bank@test.cn") and not mailbox.to("owner@test.cn")
    notes = {n.user_id: n for n in db.session.scalars(sa.select(Notification))}
    assert notes[institution.id].params["matching"] == 2 and notes[institution.id].params["total"] == 3
    assert notes[quiet.id].kind == "edition_published_matches"
    assert notes[expert.id].kind == "edition_published"
    assert unverified_institution.id not in notes and owner.id not in notes


def test_titles_and_an_older_period_cannot_supersede_a_newer_one(admin, owner_org, fast_exports):
    from flask_babel import force_locale

    ready_need(owner_org)
    newer = published(admin, 2026, 6)
    assert newer.title_zh == "2026年第6期（11–12月）" and editions.meta(newer)["months_zh"] == "11–12月"
    with force_locale("en"):
        assert newer.title == "2026 No. 6 (Nov–Dec)"
    ready_need(owner_org)
    older = editions.open_draft(2026, 5, by=admin)
    with pytest.raises(InvalidTransition):
        editions.publish_edition(older, by=admin)
    with pytest.raises(InvalidTransition):
        editions.open_draft(2026, 6, by=admin)  # published: only a correction may follow


def test_publishing_costs_the_same_statements_for_few_and_many_items(admin, owner_org, fast_exports,
                                                                     count_queries):
    """The view's path (preload, publish_edition) issues no statement per item: the
    needs move in one UPDATE and their audit entries go in one INSERT."""
    ready_need(owner_org)
    published(admin, 2026, 1)

    def statements(period, new_needs):
        for _ in range(new_needs):
            ready_need(owner_org)
        draft = editions.open_draft(2026, period, by=admin)
        db.session.commit()
        with count_queries() as counter:
            editions.preload(draft)
            editions.publish_edition(draft, by=admin)
            db.session.flush()
        db.session.commit()
        assert draft.status is EditionStatus.published
        return counter.count, len(draft.items)

    few, few_items = statements(2, 2)
    many, many_items = statements(3, 12)
    assert (few_items, many_items) == (3, 15)
    assert many == few
    listed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "financing_need.listed"))
    assert listed == 1 + 2 + 12  # one entry per need moved, as before
