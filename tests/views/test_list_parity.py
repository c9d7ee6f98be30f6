"""The site's lists and the API's lists are one search (services/search): for the same
filters and the same user they show the same rows in the same order."""

import re
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.reference import Category, Instrument, Level, OrgKind, ReserveSubstage, Stage
from tests import factories
from tests.conftest import login


@pytest.fixture
def world(owner, other_owner):
    """Projects and needs of two owners, in every status an institution may or may not see,
    with districts, levels, instruments, amounts and names to filter on."""
    bridge = factories.make_project(org=owner.org, name="锦江桥梁工程", level=Level.provincial)
    park = factories.make_project(org=owner.org, name="生态公园", category=Category.ecology,
                                  district_code="510104", code="2026-510104-48-01-700001")
    depot = factories.make_project(org=other_owner.org, name="物流园区", stage=Stage.reserve,
                                   reserve_substage=ReserveSubstage.agreement, industry_code="59")
    made = {}
    for key, project, status, amount, instruments in (
        ("bridge_listed", bridge, NeedStatus.listed, "60000", [Instrument.bond]),
        ("bridge_draft", bridge, NeedStatus.draft, "20000", [Instrument.project_loan]),
        ("park_listed", park, NeedStatus.listed, "30000", [Instrument.project_loan]),
        ("park_submitted", park, NeedStatus.submitted, "45000", [Instrument.abs_reits]),
        ("depot_listed", depot, NeedStatus.listed, "80000", [Instrument.project_loan, Instrument.bond]),
        ("depot_approved", depot, NeedStatus.approved, "10000", [Instrument.syndicated_loan]),
    ):
        made[key] = factories.make_need(project=project, status=status, amount=Decimal(amount),
                                        funds_secured=Decimal("0"), instruments=instruments)
    db.session.commit()
    return {"projects": {"bridge": bridge, "park": park, "depot": depot}, "needs": made}


def _ids(html: str, kind: str) -> list[int]:
    seen = []
    for match in re.finditer(rf'href="/{kind}/(\d+)"', html):
        if int(match.group(1)) not in seen:
            seen.append(int(match.group(1)))
    return seen


def _both(app, client, user, kind: str, args: dict) -> tuple[list[int], list[int]]:
    app.config["PER_PAGE"] = 100
    login(client, user)
    page = client.get(f"/{kind}/", query_string=args)
    assert page.status_code == 200
    token = factories.make_api_token(user)
    db.session.commit()
    answer = client.get(f"/api/v1/{kind}", query_string={**args, "per_page": 100},
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    return _ids(page.get_data(as_text=True), kind), [row["id"] for row in answer.get_json()["items"]]


NEED_FILTERS = [
    {},
    {"status": "listed"},
    {"district": "510104"},
    {"level": "provincial"},
    {"instrument": "bond"},
    {"min_amount": "20000", "max_amount": "60000"},
    {"min_amount": "45000"},
    {"q": "桥梁"},
    {"q": "700001"},
    {"project_id": "park"},
    {"sort": "amount_desc"},
    {"sort": "amount_asc", "instrument": "project_loan"},
    {"sort": "newest"},
]
PROJECT_FILTERS = [
    {},
    {"level": "provincial"},
    {"category": "ecology"},
    {"district": "510104"},
    {"stage": "reserve"},
    {"industry": "59"},
    {"q": "公园"},
    {"sort": "amount_desc"},
    {"sort": "newest", "district": "510112"},
]


@pytest.mark.parametrize("who", ["owner", "institution", "admin"])
@pytest.mark.parametrize("args", NEED_FILTERS, ids=lambda a: "&".join(f"{k}={v}" for k, v in a.items()) or "all")
def test_need_lists_agree(request, app, client, world, who, args):
    if "project_id" in args:
        args = {**args, "project_id": world["projects"][args["project_id"]].id}
    web, api = _both(app, client, request.getfixturevalue(who), "needs", args)
    assert web == api


@pytest.mark.parametrize("who", ["owner", "institution", "admin"])
@pytest.mark.parametrize("args", PROJECT_FILTERS, ids=lambda a: "&".join(f"{k}={v}" for k, v in a.items()) or "all")
def test_project_lists_agree(request, app, client, world, who, args):
    web, api = _both(app, client, request.getfixturevalue(who), "projects", args)
    assert web == api


def test_the_lists_show_what_each_user_may_see_in_the_default_order(app, client, world, owner, institution):
    needs = world["needs"]
    # The owner: its own needs, whatever their status, last changed first.
    web, api = _both(app, client, owner, "needs", {})
    assert web == api == [needs[k].id for k in ("park_submitted", "park_listed", "bridge_draft",
                                                "bridge_listed")]
    # An institution: listed needs of every owner.
    web, api = _both(app, client, institution, "needs", {"sort": "amount_desc"})
    assert web == api == [needs[k].id for k in ("depot_listed", "bridge_listed", "park_listed")]


def test_a_need_s_change_moves_it_to_the_top_of_both_lists(app, client, world, owner):
    needs = world["needs"]
    needs["bridge_listed"].use_of_funds = "桥梁主体及引道工程"
    db.session.commit()
    web, api = _both(app, client, owner, "needs", {})
    assert web[0] == api[0] == needs["bridge_listed"].id


@pytest.mark.parametrize("args,field", [
    ({"district": "999999"}, "district"),
    ({"q": "桥\x01梁"}, "q"),
])
def test_a_filter_the_site_does_not_apply_is_refused_by_the_api(app, client, world, owner, args, field):
    login(client, owner)
    page = client.get("/needs/", query_string=args).get_data(as_text=True)
    assert "cp-filter-errors" in page and len(_ids(page, "needs")) == 4  # shown, not applied
    token = factories.make_api_token(owner)
    db.session.commit()
    answer = client.get("/api/v1/needs", query_string=args, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422 and field in answer.get_json()["error"]["errors"]


def test_an_institution_s_list_never_holds_a_hidden_need(app, client, world, institution):
    hidden = {world["needs"][k].id for k in ("bridge_draft", "park_submitted", "depot_approved")}
    for args in NEED_FILTERS:
        if "project_id" in args:
            args = {"project_id": world["projects"][args["project_id"]].id}
        web, api = _both(app, client, institution, "needs", args)
        assert not hidden & (set(web) | set(api))


def test_a_bank_of_another_kind_reads_the_same_lists(app, client, world):
    reader = factories.make_user(factories.make_org(OrgKind.securities))
    db.session.commit()
    web, api = _both(app, client, reader, "needs", {"status": "listed"})
    assert web == api and len(web) == 3


def test_the_need_list_form_offers_the_api_s_filters_and_keeps_what_was_refused(client, world, owner):
    login(client, owner)
    page = client.get("/needs/", query_string={"level": "provincial", "min_amount": "一万",
                                               "max_amount": "60000", "sort": "amount_desc"})
    html = page.get_data(as_text=True)
    for label in ("级别", "金额", "排序"):
        assert label in html
    assert 'value="一万"' in html and 'value="60000"' in html  # typed values stay in the form
    assert "cp-filter-errors" in html  # the refused amount is named, not applied
    assert _ids(html, "needs") == [world["needs"]["bridge_listed"].id, world["needs"]["bridge_draft"].id]


def test_a_need_list_of_one_project_names_it(client, world, owner):
    login(client, owner)
    park = world["projects"]["park"]
    html = client.get("/needs/", query_string={"project_id": park.id}).get_data(as_text=True)
    assert f'href="/projects/{park.id}"' in html and 'name="project_id"' in html
    assert set(_ids(html, "needs")) == {world["needs"]["park_listed"].id, world["needs"]["park_submitted"].id}


def test_the_project_list_filters_by_industry_as_the_api_does(app, client, world, admin):
    web, api = _both(app, client, admin, "projects", {"industry": "59"})
    assert web == api == [world["projects"]["depot"].id]
