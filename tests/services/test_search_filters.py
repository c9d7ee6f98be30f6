"""The filter objects of services/search: what they take, what they refuse (recorded, not
applied) and how they are written back (as_dict) and read again (from_args)."""

from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from app.models import NeedStatus
from app.reference import Instrument, Level
from app.services.search import NeedFilters, ProjectFilters, ReviewFilters


def test_need_filters_read_a_query_string(app):
    f = NeedFilters.from_args(MultiDict({
        "q": "  桥梁 ", "status": "listed", "instrument": "bond", "district": "510104", "level": "provincial",
        "project_id": "12", "min_amount": "1,200.5", "max_amount": "5000", "sort": "amount_desc"}))
    assert (f.q, f.status, f.instrument, f.district, f.level) == ("桥梁", "listed", "bond", "510104", "provincial")
    assert (f.project_id, f.min_amount, f.max_amount) == (12, Decimal("1200.50"), Decimal("5000.00"))
    assert f.sort == "amount_desc" and not f.errors and f.active


def test_need_filters_read_what_the_api_schema_loaded(app):
    """Enums, integers and Decimals (marshmallow's output) read as their query-string text."""
    f = NeedFilters.from_args({"status": NeedStatus.listed, "instrument": Instrument.bond, "level": Level.general,
                               "project_id": 3, "min_amount": Decimal("10.00")})
    assert (f.status, f.instrument, f.level, f.project_id, f.min_amount) == (
        "listed", "bond", "general", 3, Decimal("10.00"))


@pytest.mark.parametrize("name,value", [
    ("status", "open"), ("instrument", "loan"), ("district", "999999"), ("level", "national"),
    ("project_id", "abc"), ("project_id", "0"), ("project_id", str(2**31)), ("min_amount", "-1"),
    ("min_amount", "NaN"), ("max_amount", "1e400"), ("q", "x" * 101), ("q", "桥\x00梁"),
])
def test_a_refused_need_filter_is_recorded_and_not_applied(app, name, value):
    f = NeedFilters.from_args({name: value, "district": "510112"} if name != "district" else {name: value})
    assert getattr(f, name) is None
    assert name in f.errors and f.errors[name][0]
    assert f.shown(name) == value.strip()[:100]  # what was typed goes back into the form
    assert name not in f.as_dict()


def test_an_upper_amount_below_the_lower_one_refuses_both(app):
    f = NeedFilters.from_args({"min_amount": "500", "max_amount": "100"})
    assert f.min_amount is None and f.max_amount is None
    assert list(f.errors) == ["max_amount"] and f.shown("min_amount") == "500"


def test_an_unknown_sort_is_the_default_order(app):
    assert NeedFilters.from_args({"sort": "drop table"}).sort == "updated"
    assert NeedFilters.from_args({"sort": "submitted"}).sort == "updated"  # the review queue's own
    assert ProjectFilters.from_args({"sort": "amount_asc"}).sort == "amount_asc"
    assert not NeedFilters.from_args({"sort": "drop table"}).errors


@pytest.mark.parametrize("args", [
    {},
    {"q": "桥梁", "status": "draft", "instrument": "abs_reits", "district": "510104", "level": "municipal",
     "project_id": "7", "min_amount": "0", "max_amount": "99999999999999.99", "sort": "newest"},
    {"min_amount": "10.5"},
    {"sort": "amount_asc"},
])
def test_need_filters_round_trip(app, args):
    f = NeedFilters.from_args(args)
    again = NeedFilters.from_args(f.as_dict())
    assert again == f and again.as_dict() == f.as_dict()
    assert "sort" not in NeedFilters.from_args({}).as_dict()  # the default order is not written


@pytest.mark.parametrize("args", [
    {},
    {"q": "公园", "level": "provincial", "category": "ecology", "district": "510104", "stage": "reserve",
     "industry": "48", "sort": "amount_desc"},
])
def test_project_filters_round_trip(app, args):
    f = ProjectFilters.from_args(args)
    assert ProjectFilters.from_args(f.as_dict()) == f
    assert f.as_dict() == {k: v for k, v in args.items()}


@pytest.mark.parametrize("name,value", [
    ("level", "x"), ("category", "roads"), ("district", "510000000"), ("stage", "done"),
    ("industry", "A"), ("industry", "9999"),
])
def test_a_refused_project_filter_is_recorded_and_not_applied(app, name, value):
    f = ProjectFilters.from_args({name: value})
    assert getattr(f, name) is None and name in f.errors and f.shown(name) == value
    assert f.as_dict() == {}


def test_the_review_queue_waits_on_submitted_needs_unless_told_otherwise(app):
    assert ReviewFilters.from_args({}).status == "submitted"
    everything = ReviewFilters.from_args({"status": ""})
    assert everything.status is None
    assert ReviewFilters.from_args(everything.as_dict()).status is None  # "every status" survives
    assert "status" in ReviewFilters.from_args({"status": "draft"}).errors  # drafts are never reviewed
    assert ReviewFilters.from_args({}).sort == "submitted"


def test_review_dates(app):
    f = ReviewFilters.from_args({"submitted_from": "2026-02-01", "submitted_to": "2026-02-28"})
    assert (f.submitted_from, f.submitted_to) == (date(2026, 2, 1), date(2026, 2, 28))
    assert ReviewFilters.from_args(f.as_dict()) == f
    assert "submitted_from" in ReviewFilters.from_args({"submitted_from": "2026-13-01"}).errors
    backwards = ReviewFilters.from_args({"submitted_from": "2026-03-01", "submitted_to": "2026-02-01"})
    assert backwards.submitted_from is None and "submitted_to" in backwards.errors
