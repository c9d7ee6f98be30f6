import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow
from app.reference import INSTITUTION_KINDS, OrgKind, register_labels


class OrgStatus(enum.Enum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    deactivated = "deactivated"


ORG_STATUS_TRANSITIONS = {
    OrgStatus.pending: {OrgStatus.verified, OrgStatus.rejected},
    OrgStatus.rejected: {OrgStatus.verified},
    OrgStatus.verified: {OrgStatus.deactivated},
    OrgStatus.deactivated: {OrgStatus.verified},
}

ORG_STATUS_LABELS = register_labels(
    OrgStatus,
    {
        OrgStatus.pending: _l("Awaiting verification"),
        OrgStatus.verified: _l("Verified"),
        OrgStatus.rejected: _l("Rejected"),
        OrgStatus.deactivated: _l("Deactivated"),
    },
)


class Organization(db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    short_name: Mapped[str | None] = mapped_column(sa.String(60))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind), index=True)
    status: Mapped[OrgStatus] = mapped_column(
        enum_column(OrgStatus), default=OrgStatus.pending, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    district_code: Mapped[str | None] = mapped_column(sa.String(12))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    users: Mapped[list["User"]] = relationship(back_populates="org")  # noqa: F821

    @property
    def is_verified(self) -> bool:
        return self.status is OrgStatus.verified

    @property
    def is_institution(self) -> bool:
        return self.kind in INSTITUTION_KINDS

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"
