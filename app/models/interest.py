"""Institutions acting on the list: follows (关注), interests (融资意向) carried from first
contact to credit (授信) and disbursement (放款), their conversations, the institutions'
preference profiles (投资偏好) and the invitations (定向推送) owners and admins send.

All of it is confidential between institutions (PRODUCT §2): an institution reads only its own
organisation's follows and interests; the scope is permissions.visible_interests.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import ZERO, Money, UTCDateTime, enum_column, utcnow
from app.reference import Instrument, register_labels


class InterestStatus(enum.Enum):
    submitted = "submitted"
    contacted = "contacted"
    due_diligence = "due_diligence"
    approved = "approved"  # 授信
    funded = "funded"  # 放款: at least one disbursement
    declined = "declined"  # by the owner, with a reason
    withdrawn = "withdrawn"  # by the institution
    rejected = "rejected"  # the institution's credit decision, with a structured reason


# The pipeline: submitted → contacted → due_diligence → approved → funded, with three exits.
# funded stays open to further disbursements (loans are drawn in tranches) without a move.
INTEREST_TRANSITIONS = {
    InterestStatus.submitted: {InterestStatus.contacted, InterestStatus.declined,
                               InterestStatus.withdrawn, InterestStatus.rejected},
    InterestStatus.contacted: {InterestStatus.due_diligence, InterestStatus.declined,
                               InterestStatus.withdrawn, InterestStatus.rejected},
    InterestStatus.due_diligence: {InterestStatus.approved, InterestStatus.declined,
                                   InterestStatus.withdrawn, InterestStatus.rejected},
    InterestStatus.approved: {InterestStatus.funded, InterestStatus.declined,
                              InterestStatus.withdrawn},
    InterestStatus.funded: set(),
    InterestStatus.declined: set(),
    InterestStatus.withdrawn: set(),
    InterestStatus.rejected: set(),
}

# One live interest per institution per need (a partial unique index holds it); after an
# exit the institution may express a new one.
# The pipeline in its order and its exits, as tables and boards show them.
PIPELINE_STAGES = (InterestStatus.submitted, InterestStatus.contacted, InterestStatus.due_diligence,
                   InterestStatus.approved, InterestStatus.funded)
EXIT_STATUSES = (InterestStatus.rejected, InterestStatus.declined, InterestStatus.withdrawn)
LIVE_INTEREST_STATUSES = frozenset(PIPELINE_STAGES)
CLOSED_INTEREST_STATUSES = frozenset(EXIT_STATUSES)
# The interests that hold a credit (授信): approved, and funded on it.
CREDITED_INTEREST_STATUSES = frozenset({InterestStatus.approved, InterestStatus.funded})
# The column that holds when an interest entered each status; every exit is closed_at.
STAGE_ENTERED_AT = {
    InterestStatus.submitted: "created_at", InterestStatus.contacted: "contacted_at",
    InterestStatus.due_diligence: "due_diligence_at", InterestStatus.approved: "approved_at",
    InterestStatus.funded: "funded_at", **{s: "closed_at" for s in EXIT_STATUSES},
}
_LIVE_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in InterestStatus
                                               if s in LIVE_INTEREST_STATUSES))

INTEREST_STATUS_LABELS = register_labels(
    InterestStatus,
    {
        InterestStatus.submitted: _l("Interest expressed"),
        InterestStatus.contacted: _l("Contacted"),
        InterestStatus.due_diligence: _l("Due diligence"),
        InterestStatus.approved: _l("Credit approved"),
        InterestStatus.funded: _l("Disbursed"),
        InterestStatus.declined: _l("Declined by the owner"),
        InterestStatus.withdrawn: _l("Withdrawn"),
        InterestStatus.rejected: _l("Credit refused"),
    },
)


class RejectionReason(enum.Enum):
    """Why an institution's credit decision was no: the problems that block financing,
    as cities report them, and the feed of diagnosis candidates."""

    capital = "capital"  # 资本金不足
    cash_flow = "cash_flow"  # 现金流不足
    permits = "permits"  # 手续不全
    enhancement = "enhancement"  # 增信不足
    credit_policy = "credit_policy"  # 超出授信政策
    other = "other"  # 其他, with the text


REJECTION_REASON_LABELS = register_labels(
    RejectionReason,
    {
        RejectionReason.capital: _l("Insufficient project capital"),
        RejectionReason.cash_flow: _l("Insufficient cash flow"),
        RejectionReason.permits: _l("Approvals incomplete"),
        RejectionReason.enhancement: _l("Insufficient credit enhancement"),
        RejectionReason.credit_policy: _l("Outside our credit policy"),
        RejectionReason.other: _l("Other reason"),
    },
)


class Follow(db.Model):
    """A user of an institution bookmarks a listed need (关注) and is told of its material
    changes, corrections and closing."""

    __tablename__ = "follow"
    __table_args__ = (sa.UniqueConstraint("need_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_need.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped["FinancingNeed"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship()  # noqa: F821
    org: Mapped["Organization"] = relationship()  # noqa: F821


class Interest(db.Model):
    """An institution's financing interest (融资意向) in a listed need and its deal."""

    __tablename__ = "interest"
    __table_args__ = (
        sa.Index("uq_interest_live", "need_id", "org_id", unique=True,
                 sqlite_where=sa.text(_LIVE_SQL), postgresql_where=sa.text(_LIVE_SQL)),
        sa.Index("ix_interest_org_status", "org_id", "status", "updated_at"),
        sa.Index("ix_interest_org_updated", "org_id", "updated_at", "id"),  # the pipeline's order
        sa.Index("ix_interest_need_status", "need_id", "status"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("disbursed_amount >= 0", name="disbursed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_need.id"))
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"))  # the institution
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    status: Mapped[InterestStatus] = mapped_column(
        enum_column(InterestStatus), default=InterestStatus.submitted, index=True)

    # The offer, as the institution states it.
    instrument: Mapped[Instrument] = mapped_column(enum_column(Instrument))
    product_name: Mapped[str | None] = mapped_column(sa.String(120))  # e.g. 固定资产贷款
    amount: Mapped[Decimal] = mapped_column(Money)  # indicative, 万元
    rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # % a year
    term_months: Mapped[int | None]
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    message: Mapped[str | None] = mapped_column(sa.Text)

    # 授信: the credit decision.
    credit_amount: Mapped[Decimal | None] = mapped_column(Money)
    credit_date: Mapped[date | None] = mapped_column(sa.Date)
    credit_conditions: Mapped[str | None] = mapped_column(sa.Text)
    # 放款: the sum of the disbursements, kept with them in one transaction.
    disbursed_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)

    # Exits.
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(enum_column(RejectionReason))
    rejection_note: Mapped[str | None] = mapped_column(sa.Text)
    withdrawal_note: Mapped[str | None] = mapped_column(sa.Text)

    # Set when the owner changed the need's material terms (amount, instruments, term) after
    # this interest was expressed; cleared when the institution re-confirms.
    reconfirm_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The conversation: when each side last read it, and the last message.
    owner_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    institution_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_diligence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first disbursement
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # declined/withdrawn/rejected
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left uncontacted
    validity_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # validity ending

    need: Mapped["FinancingNeed"] = relationship()  # noqa: F821
    org: Mapped["Organization"] = relationship()  # noqa: F821
    created_by: Mapped["User"] = relationship()  # noqa: F821
    disbursements: Mapped[list["Disbursement"]] = relationship(
        back_populates="interest", order_by="Disbursement.disbursed_on, Disbursement.id",
        cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_INTEREST_STATUSES

    def __repr__(self) -> str:
        return f"<Interest {self.id} need={self.need_id} org={self.org_id} {self.status.value}>"


class Disbursement(db.Model):
    """One tranche of a loan drawn (放款), as construction advances."""

    __tablename__ = "disbursement"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(
        sa.ForeignKey("interest.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    disbursed_on: Mapped[date] = mapped_column(sa.Date, index=True)
    note: Mapped[str | None] = mapped_column(sa.String(200))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    interest: Mapped[Interest] = relationship(back_populates="disbursements")


class MessageSide(enum.Enum):
    owner = "owner"
    institution = "institution"


class InterestMessage(db.Model):
    """One message of an interest's conversation between the institution and the owner;
    its files are Attachments with message_id set."""

    __tablename__ = "interest_message"
    __table_args__ = (sa.Index("ix_interest_message_thread", "interest_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(sa.ForeignKey("interest.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    side: Mapped[MessageSide] = mapped_column(enum_column(MessageSide, length=16))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    interest: Mapped[Interest] = relationship()
    author: Mapped["User"] = relationship()  # noqa: F821
    attachments: Mapped[list["Attachment"]] = relationship(  # noqa: F821
        back_populates="message", order_by="Attachment.id")


class PreferenceProfile(db.Model):
    """What an institution looks for (投资偏好); empty lists and missing bounds mean any.
    Lists hold enum values (Industry codes, district codes, Instrument, Level)."""

    __tablename__ = "preference_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), unique=True)
    industries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    districts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    instruments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    amount_min: Mapped[Decimal | None] = mapped_column(Money)
    amount_max: Mapped[Decimal | None] = mapped_column(Money)
    term_min: Mapped[int | None]  # months
    term_max: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped["Organization"] = relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}


class Invitation(db.Model):
    """定向推送: an owner or an admin points an institution at a listed need."""

    __tablename__ = "invitation"
    __table_args__ = (sa.UniqueConstraint("need_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_need.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    message: Mapped[str | None] = mapped_column(sa.Text)
    score: Mapped[int | None]  # the match score when sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped["FinancingNeed"] = relationship()  # noqa: F821
    org: Mapped["Organization"] = relationship()  # noqa: F821
