from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Attachment(db.Model):
    """A file on a project, on a need or on a message of an interest's conversation, stored
    outside the web root under a random name."""

    __tablename__ = "attachment"
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN project_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN need_id IS NULL "
            "THEN 0 ELSE 1 END) + (CASE WHEN message_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("financing_need.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("interest_message.id", ondelete="CASCADE"), index=True)
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
    message: Mapped["InterestMessage | None"] = relationship(  # noqa: F821
        back_populates="attachments")
    uploaded_by: Mapped["User"] = relationship()  # noqa: F821

    @property
    def owning_project(self):
        if self.project_id:
            return self.project
        if self.need_id:
            return self.need.project
        return self.message.interest.need.project
