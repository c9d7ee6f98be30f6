"""Match scores: the README's formula on hand-checked cases, the stable ranking and the
reasons in both languages."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from app.services.matching import Facts, Reason, rank, score, wants

R = Reason


def profile(**kw):
    values = dict(industries=["48"], districts=["510112"], instruments=["project_loan"],
                  levels=["municipal"], amount_min=Decimal("10000"), amount_max=Decimal("60000"),
                  term_min=60, term_max=180)
    values.update(kw)
    return SimpleNamespace(**values)


def need(**kw):
    values = dict(need_id=1, amount=Decimal("50000.00"), term_months=120,
                  instruments=frozenset({"project_loan", "syndicated_loan"}), industry_code="48",
                  district_code="510112", zone_code=None, level="municipal")
    values.update(kw)
    return Facts(**values)


OPEN = profile(industries=[], districts=[], instruments=[], levels=[], amount_min=None, amount_max=None,
               term_min=None, term_max=None)


@pytest.mark.parametrize("facts,prefs,expected,reasons", [
    # everything fits: 25 + 20 + 20 + 15 + 10 + 10
    (need(), profile(), 100, [R.industry_match, R.amount_within, R.instrument_match, R.district_match,
                              R.term_within, R.level_municipal]),
    # near on three criteria, out on three: 12.5 + 10 + 0 + 0 + 5 + 0 = 27.5 -> 28
    (need(industry_code="47", amount=Decimal("80000"), instruments=frozenset({"bond"}), district_code="510104",
          term_months=240, level="provincial"), profile(), 28,
     [R.industry_near, R.amount_slightly_above, R.instrument_outside, R.district_outside, R.term_near,
      R.level_outside]),
    # far beyond the bounds: no half credit. 0 + 0 + 10 (related loan) + 15 + 0 + 10 = 35
    (need(industry_code="01", amount=Decimal("90000.01"), instruments=frozenset({"working_capital_loan"}),
          term_months=271), profile(), 35,
     [R.industry_outside, R.amount_above, R.instrument_near, R.district_match, R.term_outside,
      R.level_municipal]),
    # below the minimum: half down to half the bound, nothing under it
    (need(amount=Decimal("5000"), term_months=30), profile(), 85,
     [R.industry_match, R.amount_slightly_below, R.instrument_match, R.district_match, R.term_near,
      R.level_municipal]),
    (need(amount=Decimal("4999.99"), term_months=29), profile(), 70,
     [R.industry_match, R.amount_below, R.instrument_match, R.district_match, R.term_outside,
      R.level_municipal]),
    # a whole section (门类) named in the profile covers its divisions; a zone counts as a district
    (need(industry_code="47", district_code="510116", zone_code="tianfu"),
     profile(industries=["E"], districts=["tianfu"]), 100,
     [R.industry_match, R.amount_within, R.instrument_match, R.district_match, R.term_within,
      R.level_municipal]),
    # a profile that leaves everything open: full marks, only the key-project chip
    (need(level="provincial"), OPEN, 100, [R.level_provincial]),
    (need(level="general"), OPEN, 100, []),
    (need(level="general"), profile(levels=["general"]), 100,
     [R.industry_match, R.amount_within, R.instrument_match, R.district_match, R.term_within, R.level_match]),
    # only a lower bound
    (need(amount=Decimal("1000000")), profile(amount_max=None), 100,
     [R.industry_match, R.amount_within, R.instrument_match, R.district_match, R.term_within,
      R.level_municipal]),
])
def test_the_formula_on_hand_checked_cases(facts, prefs, expected, reasons):
    match = score(facts, prefs)
    assert match.score == expected
    assert list(match.reasons) == reasons


def test_positive_and_negative_reasons_are_told_apart():
    assert R.amount_within.positive and R.level_provincial.positive
    assert not R.amount_above.positive and not R.industry_near.positive


def test_the_score_is_the_same_for_a_need_and_its_edition_snapshot(app):
    from app.models import NeedStatus
    from tests import factories

    n = factories.make_need(status=NeedStatus.listed, amount=Decimal("80000.00"), term_months=240)
    snapshot = SimpleNamespace(snapshot={"need_id": n.id, "amount": "80000.00", "term_months": 240,
                                         "instruments": ["project_loan", "syndicated_loan"],
                                         "industry_code": "48", "district_code": "510112", "zone_code": None,
                                         "level": "municipal"})
    live, frozen = score(n, profile()), score(snapshot, profile())
    assert (live.score, live.reasons) == (frozen.score, frozen.reasons) == (
        85, (R.industry_match, R.amount_slightly_above, R.instrument_match, R.district_match, R.term_near,
             R.level_municipal))


def test_ranking_is_stable_best_first_then_newest_listed_then_lowest_id():
    early, late = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    facts = [need(need_id=5, listed_at=early), need(need_id=3, listed_at=early), need(need_id=9, listed_at=late),
             need(need_id=2, listed_at=None), need(need_id=7, district_code="510104", listed_at=late)]
    prefs = wants(profile())
    ranked = rank(score(f, prefs) for f in facts)
    assert [m.need_id for m in ranked] == [9, 3, 5, 2, 7]
    assert [m.need_id for m in rank(score(f, prefs) for f in reversed(facts))] == [9, 3, 5, 2, 7]


@pytest.mark.parametrize("locale,expected", [
    ("zh", ["行业匹配", "金额高于偏好上限", "融资方式匹配", "区县不在偏好内", "期限超出偏好", "省重点项目"]),
    ("en", ["Industry matches", "Amount above preferred maximum", "Financing instrument matches",
            "District not in preferences", "Term outside preferences", "Provincial key project"]),
])
def test_reasons_read_in_the_readers_language(app, locale, expected):
    match = score(need(amount=Decimal("200000"), district_code="510104", term_months=400, level="provincial"),
                  profile(levels=[]))
    with app.test_request_context(), force_locale(locale):
        assert [str(r) for r in match.reasons] == expected


def test_every_reason_has_a_chinese_label(app):
    with app.test_request_context(), force_locale("zh"):
        for reason in Reason:
            assert reason.label and not reason.label.isascii(), reason
