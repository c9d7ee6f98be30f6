"""Pages of filtered lists that know the whole result's size and total amount.

A list of projects, needs or edition items shows "N in all, X in total" over everything
the filters match, not just the page. Both figures come from the one aggregate query
that counts the result for the pager: a list page costs no query more than before."""

from decimal import Decimal

import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import orm


class TotalledPage(SelectPagination):
    """db.paginate's page plus total_amount: the sum of `amount_of` (a money column of the
    listed model, in 万元) over the whole filtered result."""

    total_amount: Decimal | None = None

    def _query_count(self) -> int:
        select = self._query_args["select"]
        sub = select.options(orm.lazyload("*")).order_by(None).subquery()
        column = sub.c[self._query_args["amount_of"].key]
        count, total = self._query_args["session"].execute(
            sa.select(sa.func.count(), sa.func.sum(column)).select_from(sub)).one()
        self.total_amount = Decimal(total or 0)
        return count


def paginate(select: sa.Select, *, amount_of, page: int, per_page: int) -> TotalledPage:
    """The page asked for of `select`, with the count and total of the whole result."""
    from app.extensions import db

    return TotalledPage(select=select, session=db.session(), amount_of=amount_of, page=page,
                        per_page=per_page, max_per_page=None, error_out=False)
