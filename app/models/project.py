from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Money, UTCDateTime, enum_column, utcnow
from app.models.organization import Organization
from app.reference import Category, Level, ReserveSubstage, Stage


class Project(db.Model):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # 全国投资项目在线审批监管平台 code, e.g. 2024-510112-48-01-012345
    code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    level: Mapped[Level] = mapped_column(enum_column(Level), index=True)
    category: Mapped[Category] = mapped_column(enum_column(Category), index=True)
    industry_code: Mapped[str] = mapped_column(sa.String(4), index=True)
    district_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    zone_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    total_investment: Mapped[Decimal] = mapped_column(Money)
    annual_planned_investment: Mapped[Decimal] = mapped_column(Money)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), index=True)
    reserve_substage: Mapped[ReserveSubstage | None] = mapped_column(
        enum_column(ReserveSubstage)
    )
    planned_start: Mapped[date | None] = mapped_column(sa.Date)
    planned_completion: Mapped[date | None] = mapped_column(sa.Date)
    actual_start: Mapped[date | None] = mapped_column(sa.Date)
    actual_completion: Mapped[date | None] = mapped_column(sa.Date)
    is_priority: Mapped[bool] = mapped_column(default=False)  # 重点推进 (the yearly 100)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship()
    needs: Mapped[list["FinancingNeed"]] = relationship(  # noqa: F821
        back_populates="project", order_by="FinancingNeed.id"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.code}>"
