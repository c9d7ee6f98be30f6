"""Recommendations (为您推荐), institutions that may be interested (可能感兴趣的机构) and
invitations (定向推送), on the scores of services/matching.py.

What is scored are the listed needs: those on the published list now, the ones an
institution can act on (open, express interest). A need sent back for review after a
material change drops out until it is listed again; edition items are frozen copies of
listed needs, so they score alike (matching.facts reads either).

Cost grows with the number of listed needs only, and is paid once per change of the list:
one statement reads the few columns the score needs of every listed need (their instruments
aggregated in it) into a ranking.Listing, kept in the process for the listing generation
(services/page_cache.py: renewed by every commit that changes what is listed or scored) and
the reader's audience; each profile's ranking, and each filtered one, is kept beside it.
A page then reads the profile, the page's needs in full and their marks.
"""

import gc
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    LIVE_INTEREST_STATUSES,
    FinancingNeed,
    Interest,
    Invitation,
    NeedInstrument,
    NeedStatus,
    Organization,
    OrgStatus,
    PreferenceProfile,
    Project,
    Role,
    User,
    UserStatus,
)
from app.reference import INSTITUTION_KINDS, Instrument, district, industry, zone
from app.services import audit, matching, page_cache
from app.services.errors import InvalidTransition, NotFound
from app.services.notifications import notify
from app.services.params import BadNumber, parse_int
from app.services.permissions import audience, require, visible_invitations, visible_needs
from app.services.preferences import get_profile
from app.services.ranking import Listing, Ranked
from app.services.search.base import Filters
from app.services.search.needs import ROW_OPTIONS, with_projects

TOP_IN_NOTICE = 5


@dataclass
class RecommendationFilters(Filters):
    district: str | None = None  # a 区(市)县 or a functional zone
    industry: str | None = None
    instrument: str | None = None
    min_score: int | None = None

    CHOICES: ClassVar[dict] = {
        "district": lambda v: district(v) is not None or zone(v) is not None,
        "industry": lambda v: industry(v) is not None,
        "instrument": lambda v: v in {i.value for i in Instrument},
    }
    SORTS: ClassVar[dict] = {"score": ()}
    DEFAULT_SORT: ClassVar[str] = "score"

    @classmethod
    def from_args(cls, args) -> "RecommendationFilters":
        f = super().from_args(args)
        raw = str(args.get("min_score") or "")
        try:
            f.min_score = parse_int(raw, minimum=0, maximum=100)
        except BadNumber:
            f._refuse("min_score", raw.strip()[:40], _l("Enter a score from 0 to 100."))
        return f

    def tests(self) -> dict:
        """The filters on the facts, as {criterion name: test of what it reads}
        (matching.CRITERIA), for ranking.Listing.keep."""
        tests = {}
        if self.district:
            tests["district"] = lambda place: self.district in place
        if self.industry:
            def same_trade(code, wanted=self.industry):
                trade = industry(code)
                return wanted in (code, trade.section if trade else None)
            tests["industry"] = same_trade
        if self.instrument:
            tests["instrument"] = lambda instruments: self.instrument in instruments
        return tests

    @property
    def key(self) -> tuple:
        return (self.district, self.industry, self.instrument, self.min_score)


class ListPage(Pagination):
    """A page of a list already worked out in Python, with the site's pager attributes."""

    def __init__(self, rows: list, *, page: int, per_page: int):
        self._rows = rows
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False)

    def _query_items(self):
        return self._rows[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._rows)


def listed_facts(user, need_ids=None) -> list[matching.Facts]:
    """The Facts of every listed need `user` sees (or of those among need_ids): one statement,
    its columns read as plain values (the instruments aggregated, codes as text)."""
    text = sa.String()
    instruments = (sa.select(sa.func.aggregate_strings(sa.type_coerce(NeedInstrument.instrument, text), ","))
                   .where(NeedInstrument.need_id == FinancingNeed.id).scalar_subquery())
    query = (with_projects(visible_needs(user)).where(FinancingNeed.status == NeedStatus.listed)
             .with_only_columns(FinancingNeed.id, FinancingNeed.amount, FinancingNeed.term_months,
                                FinancingNeed.approved_at, Project.industry_code, Project.district_code,
                                Project.zone_code, sa.type_coerce(Project.level, text), instruments))
    if need_ids is not None:
        query = query.where(FinancingNeed.id.in_(list(need_ids) or [0]))
    return [matching.Facts(need_id=i, amount=amount, term_months=term, listed_at=listed_at, industry_code=trade,
                           district_code=place, zone_code=zone_code, level=level,
                           instruments=frozenset(chosen.split(",")) if chosen else frozenset())
            for i, amount, term, listed_at, trade, place, zone_code, level, chosen
            in db.session.connection().execute(query).all()]


@contextmanager
def no_collection():
    """Reading a listing allocates tens of thousands of objects that are all kept: the cyclic
    garbage collector's passes over them, triggered by the allocations alone, were a third
    of the cold cost at 20,000 listed needs. They are left for after the read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class KeptRankings:
    """One app's listed needs (a ranking.Listing per audience) and their rankings per profile
    and filters, for the listing generation they were read in. Rankings are kept for the
    RANKINGS most recently asked. Without a shared cache a renewal in another process is not
    seen: the listing is then read again after page_cache.LOCAL_SECONDS."""

    RANKINGS = 256

    def __init__(self):
        self.lock = threading.Lock()
        self.listings: dict[str, tuple[str, float, int, Listing]] = {}  # audience: generation, read at, serial
        self.rankings: OrderedDict = OrderedDict()  # (serial, wants, filters): Ranked
        self.serial = 0

    def listing(self, user, generation: str) -> tuple[int, Listing]:
        who = audience(user)
        kept = self.listings.get(who)
        if kept is not None and kept[0] == generation and (
                page_cache.shared_cache() or time.monotonic() - kept[1] < page_cache.LOCAL_SECONDS):
            return kept[2], kept[3]
        with no_collection():
            listing = Listing(listed_facts(user))
        with self.lock:
            self.serial += 1
            self.listings[who] = (generation, time.monotonic(), self.serial, listing)
            return self.serial, listing

    def _kept(self, key, make) -> Ranked:
        with self.lock:
            ranked = self.rankings.get(key)
            if ranked is not None:
                self.rankings.move_to_end(key)
                return ranked
        ranked = make()
        with self.lock:
            self.rankings[key] = ranked
            while len(self.rankings) > self.RANKINGS:
                self.rankings.popitem(last=False)
        return ranked

    def ranked(self, user, generation: str, wants: matching.Wants, filters: RecommendationFilters) -> tuple:
        """(the Listing, its needs ranked for `wants` and narrowed by `filters`)."""
        serial, listing = self.listing(user, generation)
        whole = self._kept((serial, wants, None), lambda: listing.rank(wants))
        if not any(filters.key):
            return listing, whole
        return listing, self._kept((serial, wants, filters.key),
                                   lambda: listing.keep(whole, filters.tests(), filters.min_score))


def kept_rankings() -> KeptRankings:
    return current_app.extensions.setdefault("kept_rankings", KeptRankings())


@dataclass
class Recommendation:
    need: FinancingNeed
    match: matching.Match
    interested: bool = False  # the institution has a live interest in it
    invited: bool = False  # pushed to the institution (定向推送)


def recommend(user, filters: RecommendationFilters | None = None, *, page: int = 1,
              per_page: int = 20, clamp: bool = True) -> tuple[PreferenceProfile | None, ListPage]:
    """为您推荐: the listed needs, best match first, for the user's institution; a page of
    Recommendations, their reasons worked out for the page alone. Two statements (profile,
    page) plus two for the page's marks, and one more (the listed needs' facts) on the first
    request after the list changed. A page beyond the last shows the last (clamp), or none
    (the API)."""
    require(user, "keep_preferences", user.org)
    profile = get_profile(user.org)
    wants = matching.wants(profile)
    # The generation is read before the facts are: facts read before a change are kept under
    # the generation it renews after its commit, never under the new one.
    listing, ranked = kept_rankings().ranked(user, page_cache.listing_generation(), wants,
                                             filters or RecommendationFilters())
    result = ListPage(ranked.positions, page=page, per_page=per_page)
    if clamp and result.pages and page > result.pages:
        result = ListPage(ranked.positions, page=result.pages, per_page=per_page)
    matches = [listing.match(position, wants) for position in result.items]
    ids = [m.need_id for m in matches]
    needs = {n.id: n for n in db.session.scalars(
        sa.select(FinancingNeed).where(FinancingNeed.id.in_(ids or [0])).options(*ROW_OPTIONS))}
    interested, invited = set(), set()
    if ids:
        interested = set(db.session.scalars(sa.select(Interest.need_id).where(
            Interest.org_id == user.org_id, Interest.need_id.in_(ids),
            Interest.status.in_(LIVE_INTEREST_STATUSES))))
        invited = set(db.session.scalars(visible_invitations(user).where(
            Invitation.need_id.in_(ids)).with_only_columns(Invitation.need_id)))
    result.items = [Recommendation(needs[m.need_id], m, m.need_id in interested, m.need_id in invited)
                    for m in matches if m.need_id in needs]
    return profile, result


def received_invitations(user, *, limit: int = 10) -> list[Invitation]:
    """机构推送: the latest invitations to the user's institution on needs still listed."""
    require(user, "keep_preferences", user.org)
    return list(db.session.scalars(
        visible_invitations(user).join(Invitation.need).where(FinancingNeed.status == NeedStatus.listed)
        .options(joinedload(Invitation.need).joinedload(FinancingNeed.project).joinedload(Project.org))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)))


# ---- institutions that may be interested, and invitations -----------------------------------------
@dataclass
class Candidate:
    org: Organization
    match: matching.Match
    invitation: Invitation | None = None


def _institutions():
    return (sa.select(PreferenceProfile, Organization).join(PreferenceProfile.org)
            .where(Organization.status == OrgStatus.verified, Organization.kind.in_(INSTITUTION_KINDS)))


def interested_institutions(need: FinancingNeed, *, by) -> list[Candidate]:
    """可能感兴趣的机构: the verified institutions with a preference profile, best match
    for this listed need first (ties: by organisation id). Empty for a need not listed."""
    require(by, "match_institutions", need)
    if need.status is not NeedStatus.listed:
        return []
    facts = matching.facts(need)
    sent = {i.org_id: i for i in db.session.scalars(sa.select(Invitation).where(Invitation.need_id == need.id))}
    candidates = [Candidate(org, matching.score(facts, profile), sent.get(org.id))
                  for profile, org in db.session.execute(_institutions())]
    return sorted(candidates, key=lambda c: (-c.match.score, c.org.id))


def invite(need: FinancingNeed, org_id, *, by: User, message: str | None = None) -> Invitation:
    """定向推送: point a verified institution at a listed need, once; its users are told in
    the inbox and by e-mail."""
    require(by, "invite", need)
    if need.status is not NeedStatus.listed:
        raise InvalidTransition(_l("Only a listed financing need can be pushed to institutions."))
    try:
        org = db.session.get(Organization, int(org_id))
    except (TypeError, ValueError):
        org = None
    if org is None or org.status is not OrgStatus.verified or org.kind not in INSTITUTION_KINDS:
        raise NotFound()
    if db.session.scalar(sa.select(Invitation.id).where(Invitation.need_id == need.id,
                                                        Invitation.org_id == org.id)):
        raise InvalidTransition(_l("This institution has already been sent this financing need."))
    profile = get_profile(org)
    match = matching.score(need, profile) if profile is not None else None
    message = (message or "").strip()[:1000] or None
    invitation = Invitation(need_id=need.id, org_id=org.id, invited_by_id=by.id, message=message,
                            score=match.score if match else None)
    db.session.add(invitation)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # sent by someone else in the meantime
        raise InvalidTransition(_l("This institution has already been sent this financing need.")) from None
    audit.record("invitation.create", invitation, by=by, note=message,
                 after={"need_id": need.id, "org_id": org.id, "score": invitation.score})
    users = db.session.scalars(sa.select(User).where(User.org_id == org.id, User.status == UserStatus.active,
                                                     User.role == Role.institution).order_by(User.id))
    notify(users, "invitation_received",
           {"project": need.project.name, "org": by.org.name, "amount": str(need.amount),
            "score": invitation.score if invitation.score is not None else "—", "message": message or ""},
           link=f"/needs/{need.id}")
    return invitation


# ---- the best matches of a new edition, for the publication notices ------------------------------------
def edition_matches(edition, reader, profiles) -> dict[int, list[tuple[int, int]]]:
    """{organisation id: [(need id, score), ...]}: the TOP_IN_NOTICE best of the edition's
    listed needs for each profile, ranked as 为您推荐 ranks them (one Listing for all)."""
    listing = Listing(listed_facts(reader, [item.need_id for item in edition.items]))
    best = {}
    for profile in profiles:
        ranked = listing.rank(matching.wants(profile))
        best[profile.org_id] = [(listing.facts[p].need_id, ranked.scores[p])
                                for p in ranked.positions[:TOP_IN_NOTICE]]
    return best
