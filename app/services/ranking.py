"""A whole list of needs scored and ranked for one profile at once, exactly as
matching.score and matching.rank would one need at a time, at a fraction of the cost.

A score is a sum of six criteria, each reading one thing of the need (its industry, amount,
instruments, district and zone, term, level: matching.CRITERIA). A list holds few distinct
values of most of them (some forty industries, a few dozen places, three levels, a handful
of instrument sets and terms), so a `Listing` keeps each criterion's input as an index into
its distinct values: scoring a list for a profile calls each criterion once per distinct
value, then adds up the needs' credits column by column. The needs are held in the order
that breaks ties (matching.tie_key), so ranking is a pass into 101 score buckets, no sort.
Reasons are worked out only for the needs a page shows (matching.score on their Facts).
"""

import operator
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.services import matching

_NUMBER = {c.name: n for n, c in enumerate(matching.CRITERIA)}


@dataclass(frozen=True)
class Ranked:
    """A ranked list: positions in the Listing, best first, and every position's score."""

    positions: array
    scores: list[int]

    def __len__(self) -> int:
        return len(self.positions)


class Listing:
    """The Facts of many needs, column by column, in the order that breaks ties."""

    def __init__(self, facts: Iterable[matching.Facts]):
        self.facts = sorted(facts, key=lambda f: matching.tie_key(f.need_id, f.listed_at))
        self.values: list[list] = []  # per criterion: its distinct inputs
        self.index: list[array] = []  # per criterion: each need's input, as a position in values
        for criterion in matching.CRITERIA:
            read = criterion.read
            seen: dict = {}
            self.index.append(array("I", (seen.setdefault(read(f), len(seen)) for f in self.facts)))
            self.values.append(list(seen))

    def __len__(self) -> int:
        return len(self.facts)

    def column(self, criterion: int, table: list):
        """Each need's entry of `table`, a list over the criterion's distinct inputs."""
        return map(table.__getitem__, self.index[criterion])

    def rank(self, wants: matching.Wants) -> Ranked:
        """Every need, best match first (ties: newest listed, then lowest id)."""
        halves = [0] * len(self.facts)
        for n, (_name, weight, credit_of, _read) in enumerate(matching.CRITERIA):
            table = [weight * credit_of(wants, value)[0] for value in self.values[n]]
            if len(set(table)) == 1:  # left open, or every need alike: a constant
                halves = [h + table[0] for h in halves] if table[0] else halves
            else:
                halves = list(map(operator.add, halves, self.column(n, table)))
        scores = list(map(matching.total, halves))
        buckets: list[list[int]] = [[] for _ in range(101)]
        for position, value in enumerate(scores):
            buckets[value].append(position)
        positions = array("I")
        for bucket in reversed(buckets):
            positions.extend(bucket)
        return Ranked(positions, scores)

    def keep(self, ranked: Ranked, tests: dict[str, Callable], min_score: int | None = None) -> Ranked:
        """The ranked needs that pass `tests` ({criterion name: test of its input}, each asked
        once per distinct input) and score at least min_score."""
        passes = None
        for name, test in tests.items():
            n = _NUMBER[name]
            table = [bool(test(value)) for value in self.values[n]]
            column = list(self.column(n, table))
            passes = column if passes is None else list(map(operator.and_, passes, column))
        scores = ranked.scores
        if min_score is not None:
            above = [s >= min_score for s in scores]
            passes = above if passes is None else list(map(operator.and_, passes, above))
        if passes is None:
            return ranked
        return Ranked(array("I", (p for p in ranked.positions if passes[p])), scores)

    def match(self, position: int, wants: matching.Wants) -> matching.Match:
        """The need at `position` scored with its reasons, for a page shown."""
        return matching.score(self.facts[position], wants)
