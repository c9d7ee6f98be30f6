"""Refused filters say so beside their field (what was typed is kept; nothing is
silently emptied or ignored), the API answers 422 for the same input, and a superseded
edition points its readers to the one that replaced it."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.services import accounts, editions, exports
from tests import factories

READY = dict(funds_secured=Decimal("40000.00"))


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def publish(admin, year=2026, period=6):
    edition = editions.open_draft(year, period, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


@pytest.fixture
def edition(admin, owner_org):
    for name, amount in (("成都地铁30号线一期工程", "80000.00"), ("天府新区污水处理厂", "20000.00")):
        factories.make_need(factories.make_project(org=owner_org, name=name), status=NeedStatus.approved,
                            amount=Decimal(amount), **READY)
    return publish(admin)


def _field(html: str, name: str) -> str:
    """The filter form's <input>/<select> of `name`, with what follows it up to the next field."""
    start = html.index(f'name="{name}"')
    start = html.rindex("<", 0, start)
    end = html.find('<div class="col', start)
    return html[start:end]


@pytest.mark.parametrize("query,field,message,typed", [
    ({"min_amount": "abc"}, "min_amount", "请输入以万元为单位的金额，如5000或1200.50。", "abc"),
    ({"max_amount": "-5"}, "max_amount", "金额不能为负数。", "-5"),
    ({"min_amount": "NaN"}, "min_amount", "请输入以万元为单位的金额，如5000或1200.50。", "NaN"),
    ({"max_amount": "Infinity"}, "max_amount", "请输入以万元为单位的金额，如5000或1200.50。", "Infinity"),
    ({"min_amount": "1e999999"}, "min_amount", "金额过大。", "1e999999"),
    ({"min_amount": "50000", "max_amount": "100"}, "max_amount", "金额上限不能低于金额下限。", "100"),
    ({"district": "999999"}, "district", "请从列表中选择。", None),
    ({"marker": "bogus"}, "marker", "请从列表中选择。", None),
])
def test_a_refused_filter_is_shown_beside_its_field_with_the_input_kept(client, edition, query, field,
                                                                       message, typed):
    response = client.get("/editions/2026-6", query_string=query)
    assert response.status_code == 200
    html = _field(response.text, field)
    assert "is-invalid" in html and message in html
    if typed is not None:
        assert f'value="{typed}"' in html
    # The refused filter is not applied: the list is not silently empty.
    assert "成都地铁30号线一期工程" in response.text and "天府新区污水处理厂" in response.text


def test_both_amounts_are_kept_when_the_range_is_reversed(client, edition):
    response = client.get("/editions/2026-6", query_string={"min_amount": "50000", "max_amount": "100"})
    assert 'value="50000"' in _field(response.text, "min_amount")


def test_valid_amounts_still_filter(client, edition):
    response = client.get("/editions/2026-6", query_string={"min_amount": "50000", "max_amount": "90000"})
    assert "is-invalid" not in response.text
    assert "成都地铁30号线一期工程" in response.text and "天府新区污水处理厂" not in response.text


def test_the_filters_report_refused_values_to_other_callers():
    refused = editions.Filters.from_args({"min_amount": "abc", "max_amount": "-1", "level": "x"})
    assert set(refused.errors) == {"min_amount", "max_amount", "level"}
    assert (refused.min_amount, refused.max_amount, refused.level) == (None, None, None)
    fine = editions.Filters.from_args({"min_amount": " 1,200.5 ", "level": "municipal"})
    assert (fine.errors, fine.min_amount, fine.level) == ({}, Decimal("1200.50"), "municipal")


# ---- the API: the same input is 422 in the error shape ------------------------------------------
@pytest.mark.parametrize("query,field", [
    ({"min_amount": "500.00", "max_amount": "100.00"}, "max_amount"),
    ({"max_amount": "-5"}, "max_amount"),
    ({"min_amount": "NaN"}, "min_amount"),
    ({"district": "999999"}, "district"),
])
def test_the_edition_api_refuses_bad_filters(client, edition, query, field):
    response = client.get("/api/v1/editions/2026-6", query_string=query)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed" and field in error["errors"]


@pytest.mark.parametrize("query,field", [
    ({"min_amount": "500.00", "max_amount": "100.00"}, "max_amount"),
    ({"min_amount": "Infinity"}, "min_amount"),
    ({"page": "99999999999999999999"}, "page"),
])
def test_the_needs_api_refuses_bad_filters(client, owner, query, field):
    secret, _row = accounts.create_api_token(owner, "filters")
    db.session.commit()
    response = client.get("/api/v1/needs", query_string=query, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert field in response.json["error"]["errors"]


# ---- superseded editions point to the current one ---------------------------------------------------
def test_a_superseded_edition_links_to_the_current_list(client, admin, owner_org):
    factories.make_need(org=owner_org, status=NeedStatus.approved, **READY)
    publish(admin, period=5)
    factories.make_need(org=owner_org, status=NeedStatus.approved, **READY)
    publish(admin, period=6)
    response = client.get("/editions/2026-5")
    assert "本期清单已被2026年第6期（11–12月）清单取代。" in response.text
    assert 'href="/editions/2026-6">查看现行清单</a>' in response.text
    assert "取代" not in client.get("/editions/2026-6").text


def test_a_superseded_revision_links_to_the_latest_revision(client, admin, owner_org):
    factories.make_need(org=owner_org, status=NeedStatus.approved, **READY)
    first = publish(admin, period=6)
    correction = editions.create_correction(first, "更正第1项联系人", by=admin)
    editions.publish_edition(correction, by=admin)
    db.session.commit()
    response = client.get("/editions/2026-6?rev=1")
    assert "本版已被第2版取代。" in response.text
    assert 'href="/editions/2026-6">查看现行版本</a>' in response.text
    assert "取代" not in client.get("/editions/2026-6").text


def test_a_corrected_revision_of_an_older_period_points_to_its_latest_revision(client, admin, owner_org):
    factories.make_need(org=owner_org, status=NeedStatus.approved, **READY)
    first = publish(admin, period=5)
    correction = editions.create_correction(first, "更正第1项联系人", by=admin)
    editions.publish_edition(correction, by=admin)
    db.session.commit()
    factories.make_need(org=owner_org, status=NeedStatus.approved, **READY)
    publish(admin, period=6)
    assert "本版已被第2版取代。" in client.get("/editions/2026-5?rev=1").text
    assert "本期清单已被2026年第6期（11–12月）清单取代。" in client.get("/editions/2026-5?rev=2").text


# ---- the other lists: a refused filter is named with its reason ------------------------------------
@pytest.mark.parametrize("who,path,query,label", [
    ("owner", "/needs/", {"status": "bogus"}, "状态"),
    ("owner", "/projects/", {"level": "bogus"}, "项目级别"),
    ("admin", "/needs/review", {"submitted_from": "2026-13-45"}, None),
])
def test_other_lists_name_a_refused_filter(client, request, who, path, query, label):
    from tests.conftest import login

    login(client, request.getfixturevalue(who))
    response = client.get(path, query_string=query)
    assert response.status_code == 200
    assert "以下筛选条件有误，未予采用：" in response.text
    if label:
        assert f"<li>{label}：" in response.text
