from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Attachment(db.Model):
    """A file on a project or on a need, stored outside the web root under a random name."""

    __tablename__ = "attachment"
    __table_args__ = (
        sa.CheckConstraint(
            "(project_id IS NULL) <> (need_id IS NULL)", name="one_parent"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("financing_need.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  # as uploaded, for display
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # pdf, docx, xlsx, pptx, doc, xls, ppt, png, jpg
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped["Project | None"] = relationship()  # noqa: F821
    need: Mapped["FinancingNeed | None"] = relationship()  # noqa: F821
    uploaded_by: Mapped["User"] = relationship()  # noqa: F821

    @property
    def owning_project(self):
        return self.project if self.project_id else self.need.project
