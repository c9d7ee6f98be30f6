"""A Listing ranks a whole list exactly as matching.score and matching.rank do one need at a
time, and narrows it exactly as the recommendation filters do, for many lists and profiles."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.services import matching
from app.services.ranking import Listing
from app.services.recommendations import RecommendationFilters

TRADES = ("48", "47", "54", "01", "77", "84", "E")
PLACES = (("510112", None), ("510104", None), ("510116", "tianfu"), ("510112", "eastern"))
INSTRUMENTS = ("project_loan", "syndicated_loan", "working_capital_loan", "bond", "abs_reits", "equity")
LEVELS = ("provincial", "municipal", "general")


def random_facts(rng: random.Random, n: int) -> list[matching.Facts]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    facts = []
    ids = rng.sample(range(1, 10 * n + 1), n)  # unique, in no particular order
    for i in range(n):
        district, zone = rng.choice(PLACES)
        facts.append(matching.Facts(
            need_id=ids[i],
            amount=Decimal(rng.choice((1000, 4999, 5000, 10000, 35000, 60000, 90000, 90001, 250000))) / rng.choice(
                (1, 1, 100)),
            term_months=rng.choice((12, 29, 30, 60, 120, 180, 270, 271)),
            instruments=frozenset(rng.sample(INSTRUMENTS, rng.randint(1, 2))),
            industry_code=rng.choice(TRADES[:-1]), district_code=district, zone_code=zone,
            level=rng.choice(LEVELS),
            listed_at=None if rng.random() < 0.1 else start + timedelta(days=rng.randrange(0, 5))))
    return facts


def random_profile(rng: random.Random):
    low = rng.choice((None, Decimal("5000"), Decimal("10000")))
    return SimpleNamespace(
        industries=rng.sample(TRADES, rng.randint(0, 2)), districts=rng.sample(("510112", "tianfu", "510104"),
                                                                                rng.randint(0, 2)),
        instruments=rng.sample(INSTRUMENTS, rng.randint(0, 2)), levels=rng.sample(LEVELS, rng.randint(0, 2)),
        amount_min=low, amount_max=rng.choice((None, Decimal("60000"))),
        term_min=rng.choice((None, 60)), term_max=rng.choice((None, 180)))


def keeps(filters, facts, match) -> bool:
    """The filters asked of one need at a time: the reference the Listing's columns must equal."""
    for name, test in filters.tests().items():
        criterion = next(c for c in matching.CRITERIA if c.name == name)
        if not test(criterion.read(facts)):
            return False
    return filters.min_score is None or match.score >= filters.min_score


@pytest.mark.parametrize("seed", range(25))
def test_a_listing_ranks_and_filters_exactly_as_one_by_one(app, seed):
    rng = random.Random(seed)
    facts = random_facts(rng, rng.choice((0, 1, 40, 300)))
    listing = Listing(facts)
    for _ in range(4):
        wants = matching.wants(random_profile(rng))
        expected = matching.rank(matching.score(f, wants) for f in facts)
        ranked = listing.rank(wants)
        got = [listing.match(p, wants) for p in ranked.positions]
        assert [(m.need_id, m.score, m.reasons) for m in got] == [
            (m.need_id, m.score, m.reasons) for m in expected]
        assert [ranked.scores[p] for p in ranked.positions] == [m.score for m in expected]

        filters = RecommendationFilters(district=rng.choice((None, "510112", "tianfu")),
                                        industry=rng.choice((None, "48", "E")),
                                        instrument=rng.choice((None, "bond", "project_loan")),
                                        min_score=rng.choice((None, 50, 90)))
        kept = listing.keep(ranked, filters.tests(), filters.min_score)
        by_id = {f.need_id: f for f in facts}
        assert [listing.facts[p].need_id for p in kept.positions] == [
            m.need_id for m in expected if keeps(filters, by_id[m.need_id], m)]
