"""List editions (清单期次): the bimonthly published list of financing needs.

An Edition is one revision of one (year, period). Its items point at needs while it is
a draft; publishing freezes a snapshot of every displayed field into each item (plus
denormalised, indexed columns for filters), so later edits to a need never change a
published edition. A correction is a new Edition row with revision + 1.
"""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Money, UTCDateTime, enum_column, utcnow
from app.reference import Instrument, register_labels


class EditionStatus(enum.Enum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


EDITION_TRANSITIONS = {
    EditionStatus.draft: {EditionStatus.published},
    EditionStatus.published: {EditionStatus.superseded},
    EditionStatus.superseded: set(),
}
PUBLIC_EDITION_STATUSES = frozenset({EditionStatus.published, EditionStatus.superseded})

EDITION_STATUS_LABELS = register_labels(
    EditionStatus,
    {
        EditionStatus.draft: _l("Draft"),
        EditionStatus.published: _l("Published"),
        EditionStatus.superseded: _l("Superseded"),
    },
)


class ItemMarker(enum.Enum):
    new = "new"  # 新增
    carried = "carried"  # 延续


ITEM_MARKER_LABELS = register_labels(
    ItemMarker, {ItemMarker.new: _l("New"), ItemMarker.carried: _l("Carried over")}
)

PERIODS = range(1, 7)
# 第1期 = 1–2月 … 第6期 = 11–12月 (PRODUCT §6).
MONTHS_ZH = {p: f"{2 * p - 1}–{2 * p}月" for p in PERIODS}
MONTHS_LABELS = {
    1: _l("Jan–Feb"), 2: _l("Mar–Apr"), 3: _l("May–Jun"),
    4: _l("Jul–Aug"), 5: _l("Sep–Oct"), 6: _l("Nov–Dec"),
}


def title_zh(year: int, period: int) -> str:
    """The edition's official name, e.g. 2026年第6期（11–12月）."""
    return f"{year}年第{period}期（{MONTHS_ZH[period]}）"


class Edition(db.Model):
    __tablename__ = "edition"
    __table_args__ = (
        sa.UniqueConstraint("year", "period", "revision", name="uq_edition_year_period_revision"),
        sa.CheckConstraint("period BETWEEN 1 AND 6", name="period_range"),
        sa.CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    period: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1)  # 1 = original; corrections + 1
    status: Mapped[EditionStatus] = mapped_column(
        enum_column(EditionStatus), default=EditionStatus.draft, index=True
    )
    correction_note: Mapped[str | None] = mapped_column(sa.Text)  # 更正说明 (revision > 1)
    # The edition this one is compared with (changelog) and carries items from.
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("edition.id"))
    sort_order: Mapped[str] = mapped_column(sa.String(20), default="level")
    compiled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # Maker–checker: the checker's last refusal of a publication request, shown to the
    # maker on the compile page until the next request.
    sent_back_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    sent_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_back_note: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the job that renders the edition's files (EditionFile) finished: until then the
    # page says the files are being generated, and their addresses answer so.
    files_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Frozen at publication: {"new": [...], "carried": [...], "removed": [...], "changed": [...]}
    # Deferred: thousands of entries, read only by the changes page.
    changelog: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["EditionItem"]] = relationship(
        back_populates="edition", order_by="EditionItem.seq", cascade="all, delete-orphan"
    )
    files: Mapped[list["EditionFile"]] = relationship(cascade="all, delete-orphan")
    previous: Mapped["Edition | None"] = relationship(remote_side=[id])
    compiled_by: Mapped["User | None"] = relationship(foreign_keys=[compiled_by_id])  # noqa: F821
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    published_by: Mapped["User | None"] = relationship(foreign_keys=[published_by_id])  # noqa: F821
    approved_by: Mapped["User | None"] = relationship(foreign_keys=[approved_by_id])  # noqa: F821
    sent_back_by: Mapped["User | None"] = relationship(foreign_keys=[sent_back_by_id])  # noqa: F821

    @property
    def key(self) -> str:
        """The address part: 2026-6."""
        return f"{self.year}-{self.period}"

    @property
    def title_zh(self) -> str:
        return title_zh(self.year, self.period)

    @property
    def months_label(self) -> str:
        return str(MONTHS_LABELS[self.period])

    @property
    def title(self) -> str:
        """Translated: 2026年第6期（11–12月） / 2026 No. 6 (Nov–Dec)."""
        return _("%(year)d No. %(period)d (%(months)s)", year=self.year, period=self.period,
                 months=self.months_label)

    @property
    def is_draft(self) -> bool:
        return self.status is EditionStatus.draft

    @property
    def files_ready(self) -> bool:
        """The job that renders the edition's files has stored them all: their links work;
        until then they say 正在生成 (being generated)."""
        return self.files_ready_at is not None

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_EDITION_STATUSES

    def __repr__(self) -> str:
        return f"<Edition {self.key} r{self.revision} {self.status.value}>"


class EditionItem(db.Model):
    __tablename__ = "edition_item"
    __table_args__ = (
        sa.UniqueConstraint("edition_id", "need_id", name="uq_edition_item_edition_need"),
        # Every reading query is within one edition: each filter and sort has an index
        # led by edition_id (the page then reads 20 rows in list order, not the edition).
        sa.Index("ix_edition_item_edition_seq", "edition_id", "seq"),
        sa.Index("ix_edition_item_edition_district", "edition_id", "district_code", "seq"),
        sa.Index("ix_edition_item_edition_category", "edition_id", "category", "seq"),
        sa.Index("ix_edition_item_edition_industry", "edition_id", "industry_code", "seq"),
        sa.Index("ix_edition_item_edition_level", "edition_id", "level", "seq"),
        sa.Index("ix_edition_item_edition_marker", "edition_id", "marker", "seq"),
        sa.Index("ix_edition_item_edition_amount", "edition_id", "amount", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("edition.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("financing_need.id"), index=True)
    seq: Mapped[int]
    marker: Mapped[ItemMarker] = mapped_column(enum_column(ItemMarker))
    # Readiness flags an admin accepted: {check code: {"reason", "by", "at"}} (yellow).
    justifications: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Every displayed field, frozen at publication (app/services/editions.py documents it).
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)
    # Denormalised from the snapshot for filtering and sorting (indexes above).
    district_code: Mapped[str | None] = mapped_column(sa.String(12))
    category: Mapped[str | None] = mapped_column(sa.String(24))
    industry_code: Mapped[str | None] = mapped_column(sa.String(4))
    level: Mapped[str | None] = mapped_column(sa.String(24))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    search_text: Mapped[str | None] = mapped_column(sa.Text)

    edition: Mapped[Edition] = relationship(back_populates="items")
    need: Mapped["FinancingNeed"] = relationship()  # noqa: F821
    instrument_rows: Mapped[list["EditionItemInstrument"]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<EditionItem {self.edition_id}#{self.seq} need {self.need_id}>"


class EditionItemInstrument(db.Model):
    __tablename__ = "edition_item_instrument"
    # The instrument filter: the items holding an instrument (the primary key serves the
    # other direction, an item's instruments).
    __table_args__ = (sa.Index("ix_edition_item_instrument_instrument_item", "instrument", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("edition_item.id", ondelete="CASCADE"), primary_key=True
    )
    instrument: Mapped[Instrument] = mapped_column(enum_column(Instrument), primary_key=True)


class EditionFile(db.Model):
    """An export of a published edition, generated once at publication."""

    __tablename__ = "edition_file"
    __table_args__ = (sa.UniqueConstraint("edition_id", "format", name="uq_edition_file_edition_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("edition.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(sa.String(8))  # pdf / xlsx / csv / json
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedSearch(db.Model):
    """An institution's named filter set (订阅); reported on when an edition is published."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    email: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821
