"""The interests workspace (融资意向工作台): the pipeline as a board by stage, what its cards
and the table's rows show beside the interest (days in the stage, unread messages), and
what waits for the reader.

Everything is read through services/search/interests.py, so the board, the table, their
counts and the Excel file are the same search over visible_interests(user). A page of the
board costs a fixed number of statements: the figures per status (one, which also gives the
totals above it), the cards (one, capped per stage), the unread counts of those cards (one).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    EXIT_STATUSES,
    LIVE_INTEREST_STATUSES,
    STAGE_ENTERED_AT,
    Interest,
    InterestMessage,
    InterestStatus,
    MessageSide,
)
from app.models.base import ZERO
from app.models.interest import INTEREST_STATUS_LABELS
from app.services.formatting import local, today
from app.services.permissions import require
from app.services.search.interests import (
    READ_COLUMNS,
    InterestFilters,
    StageFigures,
    board_cards,
    count_interests,
    figures_by_status,
    reader_side,
)

BOARD_CARDS = 12  # cards a stage shows before its "more" link to the table (INTEREST_BOARD_CARDS)

S = InterestStatus


@dataclass(frozen=True)
class Lane:
    """A column of the board: one pipeline stage, or the three exits together."""

    key: str
    statuses: tuple
    label: object
    figure: str | None  # which sum the column heading shows: amount, credit, disbursed

    @property
    def figure_label(self):
        return FIGURE_LABELS.get(self.figure)


LANES = (
    *(Lane(s.value, (s,), INTEREST_STATUS_LABELS[s], figure) for s, figure in (
        (S.submitted, "amount"), (S.contacted, "amount"), (S.due_diligence, "amount"),
        (S.approved, "credit"), (S.funded, "disbursed"))),
    Lane("closed", EXIT_STATUSES, _l("Ended"), None),
)
FIGURE_LABELS = {"amount": _l("Indicative"), "credit": _l("Credit"), "disbursed": _l("Disbursed")}


@dataclass
class BoardColumn:
    lane: Lane
    count: int = 0
    total: Decimal = ZERO
    exits: list = field(default_factory=list)  # (status, count) of the exits column
    cards: list = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)

    def table_args(self) -> dict:
        """The filters of the table that lists the whole column."""
        if len(self.lane.statuses) == 1:
            return {"status": self.lane.statuses[0].value}
        return {"state": "closed"}


@dataclass(frozen=True)
class Totals:
    """The figures of every interest the filters match, as the workspace heads them: how
    many, how many still in progress and their indicative amounts, the credit approved and
    the amounts disbursed (万元)."""

    count: int
    live: int
    amount: Decimal
    credit: Decimal
    disbursed: Decimal


def _totals(figures: dict) -> Totals:
    live = [fig for status, fig in figures.items() if status in LIVE_INTEREST_STATUSES]
    return Totals(count=sum(fig.count for fig in figures.values()), live=sum(fig.count for fig in live),
                  amount=_sum(live, "amount"), credit=_sum(list(figures.values()), "credit"),
                  disbursed=_sum(list(figures.values()), "disbursed"))


def totals(user, f: InterestFilters) -> Totals:
    """The workspace's figures over every interest `user` sees that match `f`: one statement."""
    return _totals(figures_by_status(user, f))


@dataclass
class Board:
    columns: list
    unread: dict  # interest id -> unread messages
    totals: Totals

    @property
    def cards(self) -> list:
        return [c for column in self.columns for c in column.cards]

    @property
    def total(self) -> int:
        return sum(column.count for column in self.columns)


def _shown_lanes(f: InterestFilters) -> tuple:
    """A status or state filter keeps only its columns; otherwise every stage is shown."""
    lanes = LANES
    if f.status:
        lanes = tuple(lane for lane in lanes if S(f.status) in lane.statuses)
    if f.state == "live":
        lanes = tuple(lane for lane in lanes if lane.key != "closed")
    elif f.state == "closed":
        lanes = tuple(lane for lane in lanes if lane.key == "closed")
    return lanes


def _sum(figures: list[StageFigures], name: str) -> Decimal:
    return sum((getattr(fig, name) or ZERO for fig in figures), ZERO)


def board(user, f: InterestFilters) -> Board:
    """The board of the interests `user` sees that match `f`: a column per stage with its
    count and sum over every matching interest, and its first cards in the filters' order."""
    require(user, "list_interests", user.org)
    per_status = current_app.config.get("INTEREST_BOARD_CARDS", BOARD_CARDS)
    figures = figures_by_status(user, f)
    cards = board_cards(user, f, per_status)
    columns = []
    for lane in _shown_lanes(f):
        figs = [figures[s] for s in lane.statuses if s in figures]
        column = BoardColumn(lane, count=sum(fig.count for fig in figs),
                             total=_sum(figs, lane.figure) if lane.figure else ZERO)
        column.exits = [(s, figures[s].count) for s in lane.statuses if len(lane.statuses) > 1 and s in figures]
        column.cards = [i for i in cards if i.status in lane.statuses][:per_status]
        columns.append(column)
    shown = [c for column in columns for c in column.cards]
    return Board(columns, unread_counts(user, shown), _totals(figures))


def unread_counts(user, interests) -> dict[int, int]:
    """For each of these interests (already visible to `user`), the other side's messages
    that the reader's side has not read: one statement. Administrators read no side's."""
    side = reader_side(user)
    ids = [i.id for i in interests]
    if side is None or not ids:
        return {}
    read_at = READ_COLUMNS[side]
    query = (sa.select(InterestMessage.interest_id, sa.func.count())
             .join(Interest, Interest.id == InterestMessage.interest_id)
             .where(InterestMessage.interest_id.in_(ids), InterestMessage.side != MessageSide(side),
                    sa.or_(read_at.is_(None), InterestMessage.created_at > read_at))
             .group_by(InterestMessage.interest_id))
    return dict(db.session.execute(query).all())


def awaiting_count(user) -> int | None:
    """How many interests wait for the reader's side (None for administrators)."""
    if reader_side(user) is None:
        return None
    return count_interests(user, InterestFilters(action="1"))


def stage_since(interest: Interest) -> datetime:
    """When the interest reached its present stage (an exit: when it ended)."""
    return getattr(interest, STAGE_ENTERED_AT[interest.status]) or interest.updated_at


def days_in_stage(interest: Interest) -> int:
    """Whole days, Beijing time, since the interest reached its present stage."""
    return max((today() - local(stage_since(interest)).date()).days, 0)
