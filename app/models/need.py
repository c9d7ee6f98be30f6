import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import ZERO, Money, UTCDateTime, enum_column, utcnow
from app.models.project import Project
from app.reference import CreditEnhancement, Instrument, register_labels


class NeedStatus(enum.Enum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"
    listed = "listed"
    financed = "financed"
    withdrawn = "withdrawn"
    expired = "expired"


NEED_TRANSITIONS = {
    NeedStatus.draft: {NeedStatus.submitted, NeedStatus.withdrawn},
    NeedStatus.submitted: {NeedStatus.returned, NeedStatus.approved, NeedStatus.withdrawn},
    NeedStatus.returned: {NeedStatus.submitted, NeedStatus.withdrawn},
    # An approved need edited by its owner goes back for review (submitted).
    NeedStatus.approved: {NeedStatus.listed, NeedStatus.submitted, NeedStatus.withdrawn},
    # A listed need edited materially goes back for review too; the published edition
    # keeps its frozen snapshot.
    NeedStatus.listed: {NeedStatus.financed, NeedStatus.submitted, NeedStatus.withdrawn,
                        NeedStatus.expired},
    NeedStatus.financed: set(),
    NeedStatus.withdrawn: set(),
    NeedStatus.expired: set(),
}

CLOSED_NEED_STATUSES = frozenset({NeedStatus.financed, NeedStatus.withdrawn, NeedStatus.expired})
EDITABLE_NEED_STATUSES = frozenset(
    {NeedStatus.draft, NeedStatus.returned, NeedStatus.approved, NeedStatus.listed}
)

NEED_STATUS_LABELS = register_labels(
    NeedStatus,
    {
        NeedStatus.draft: _l("Draft"),
        NeedStatus.submitted: _l("Submitted for review"),
        NeedStatus.returned: _l("Returned for changes"),
        NeedStatus.approved: _l("Approved"),
        NeedStatus.listed: _l("Listed"),
        NeedStatus.financed: _l("Financed"),
        NeedStatus.withdrawn: _l("Withdrawn"),
        NeedStatus.expired: _l("Expired"),
    },
)

class NeedInstrument(db.Model):
    """One instrument a need accepts; a table of its own so that lists filter on it."""

    __tablename__ = "need_instrument"

    need_id: Mapped[int] = mapped_column(
        sa.ForeignKey("financing_need.id", ondelete="CASCADE"), primary_key=True
    )
    instrument: Mapped[Instrument] = mapped_column(
        enum_column(Instrument), primary_key=True, index=True
    )


class FinancingNeed(db.Model):
    __tablename__ = "financing_need"
    # The review queue: one status, oldest submission first, the count and total of that
    # status read from the index alone (migration 0010_review_queue_index).
    __table_args__ = (sa.Index("ix_financing_need_review", "status", "submitted_at", "id", "amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    status: Mapped[NeedStatus] = mapped_column(
        enum_column(NeedStatus), default=NeedStatus.draft, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, index=True)
    term_months: Mapped[int]
    cost_ceiling: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # % a year
    use_of_funds: Mapped[str] = mapped_column(sa.Text)
    # [CreditEnhancement values]; instruments are a table of their own (filtered on).
    credit_enhancements: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    funds_secured: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    contact_name: Mapped[str] = mapped_column(sa.String(60))
    contact_phone: Mapped[str] = mapped_column(sa.String(40))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    # The owner's answer to the return comment, given when resubmitting (回复说明).
    owner_reply: Mapped[str | None] = mapped_column(sa.Text)
    # The reviewed values of the need and its project at the last approval
    # (services/approval.py: reviewed_values), to show what changed since.
    approved_values: Mapped[dict | None] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owner accepted that the disbursements of all institutions together may exceed
    # the amount sought (services/interests: no over-funding without it).
    overfunding_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="needs")
    instrument_rows: Mapped[list[NeedInstrument]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def instruments(self) -> list[Instrument]:
        chosen = {row.instrument for row in self.instrument_rows}
        return [i for i in Instrument if i in chosen]

    def set_instruments(self, instruments: list[Instrument]) -> None:
        wanted = set(instruments)
        self.instrument_rows = [r for r in self.instrument_rows if r.instrument in wanted]
        have = {r.instrument for r in self.instrument_rows}
        for instrument in Instrument:
            if instrument in wanted and instrument not in have:
                self.instrument_rows.append(NeedInstrument(instrument=instrument))

    @property
    def amount_open(self) -> Decimal:
        """Still to be raised: the amount sought less what is already in place."""
        return max(self.amount - (self.funds_secured or ZERO), ZERO)

    @property
    def enhancements(self) -> list[CreditEnhancement]:
        return [CreditEnhancement(v) for v in self.credit_enhancements or []]

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_NEED_STATUSES

    def __repr__(self) -> str:
        return f"<FinancingNeed {self.id} {self.status.value}>"
