"""Searching projects: the project lists (site and API) and their counts.

search_projects(user, f) is visible_projects(user) narrowed by the filters, in one of the
named orders of PROJECT_SORTS."""

from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.models import Project
from app.reference import Category, Level, Stage, district, industry
from app.services.permissions import visible_projects
from app.services.search.base import Filters, count

_NEWEST = (Project.id.desc(),)
PROJECT_SORTS = {
    "updated": (Project.updated_at.desc(), *_NEWEST),
    "newest": _NEWEST,
    "amount_desc": (Project.total_investment.desc(), *_NEWEST),
    "amount_asc": (Project.total_investment.asc(), *_NEWEST),
}
SORT_LABELS = {
    "updated": _l("Last changed first"),
    "newest": _l("Newest first"),
    "amount_desc": _l("Investment, largest first"),
    "amount_asc": _l("Investment, smallest first"),
}
ROW_OPTIONS = (joinedload(Project.org),)


def _one_of(enum_cls):
    values = {m.value for m in enum_cls}
    return lambda v: v in values


@dataclass
class ProjectFilters(Filters):
    q: str | None = None
    level: str | None = None
    category: str | None = None
    district: str | None = None
    stage: str | None = None
    industry: str | None = None

    TEXT: ClassVar[tuple] = ("q",)
    CHOICES: ClassVar[dict] = {
        "level": _one_of(Level),
        "category": _one_of(Category),
        "district": lambda v: district(v) is not None,
        "stage": _one_of(Stage),
        # A division (two digits), as projects record it; not a section letter.
        "industry": lambda v: industry(v) is not None and not v.isalpha(),
    }
    SORTS: ClassVar[dict] = PROJECT_SORTS
    DEFAULT_SORT: ClassVar[str] = "updated"


def _conditions(f: ProjectFilters) -> list:
    conditions = []
    for name, column, enum_cls in (("level", Project.level, Level), ("category", Project.category, Category),
                                   ("stage", Project.stage, Stage)):
        if getattr(f, name):
            conditions.append(column == enum_cls(getattr(f, name)))
    if f.district:
        conditions.append(Project.district_code == f.district)
    if f.industry:
        conditions.append(Project.industry_code == f.industry)
    if f.q:
        conditions.append(sa.or_(Project.name.icontains(f.q, autoescape=True),
                                 Project.code.icontains(f.q, autoescape=True)))
    return conditions


def search_projects(user, f: ProjectFilters | None = None) -> sa.Select:
    """The projects `user` sees that match `f`, in its order, with their owners."""
    f = f or ProjectFilters()
    return visible_projects(user).where(*_conditions(f)).options(*ROW_OPTIONS).order_by(*f.order_by())


def count_projects(user, f: ProjectFilters | None = None) -> int:
    return count(visible_projects(user).where(*_conditions(f or ProjectFilters())))
