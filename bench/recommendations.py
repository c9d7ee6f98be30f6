"""Benchmark of 为您推荐: the time to score the listed needs for one institution's profile.

Not a test: run it by hand (about a minute with the defaults) and read the table.

    .venv/bin/python bench/recommendations.py                 # temp SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/cp_bench_rec \\
        .venv/bin/python bench/recommendations.py --reset     # an EMPTY scratch database

What it does:
1. bulk-inserts a fixed world: LISTED_MAX (20,000) needs that may be listed plus --other
   (default 40,000) needs in other states (drafts, submitted, financed …), each on its
   project, and --interests (default 60,000) interests of 100 institutions;
2. for N = 1,000 / 5,000 / 20,000 lists exactly N of the first pool (the others are
   approved, not listed), so the number of needs and interests stays the same;
3. times services.recommendations.recommend() (the page's service: the profile, the one
   statement reading the listed needs' columns, the scoring and ranking in Python, the
   page's 20 needs) five times for one bank's profile and prints the median, with the
   split between reading and scoring, per 1,000 listed needs.

Cost per listed need staying flat while the other needs and interests stay many is what
shows that the cost grows with the listed needs only.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LISTED_MAX = 20_000
SIZES = (1_000, 5_000, 20_000)
RUNS = 5


def build(db, sa, *, other: int, interests: int) -> tuple[int, list[int]]:
    from app.models import (
        FinancingNeed,
        Interest,
        InterestStatus,
        NeedInstrument,
        NeedStatus,
        Organization,
        OrgStatus,
        Project,
        Role,
        User,
        UserStatus,
    )
    from app.reference import Category, Instrument, Level, OrgKind, Stage, districts

    places = [p.code for p in districts()]
    trades = ["48", "54", "77", "27", "39", "70", "47", "46", "84", "36"]
    instruments = list(Instrument)
    levels = list(Level)
    db.session.execute(sa.insert(Organization), [
        {"id": i + 1, "name": f"基准单位{i}", "credit_code": f"91510100MB{i:07d}X"[:18],
         "kind": OrgKind.owner if i < 50 else OrgKind.bank, "status": OrgStatus.verified}
        for i in range(150)])
    db.session.execute(sa.insert(User), [
        {"id": 1, "email": "bank@bench.cn", "name": "基准用户", "org_id": 51, "role": Role.institution,
         "status": UserStatus.active, "password_hash": "x", "locale": "zh"}])
    total = LISTED_MAX + other
    others = [NeedStatus.draft, NeedStatus.submitted, NeedStatus.returned, NeedStatus.financed,
              NeedStatus.withdrawn, NeedStatus.expired, NeedStatus.approved]
    step = 10_000
    for start in range(0, total, step):
        ids = range(start + 1, min(start + step, total) + 1)
        db.session.execute(sa.insert(Project), [
            {"id": i, "org_id": i % 50 + 1, "name": f"基准项目{i}", "code": f"B{i:09d}",
             "level": levels[i % 3], "category": Category.infrastructure, "industry_code": trades[i % len(trades)],
             "district_code": places[i % len(places)], "total_investment": Decimal("100000"),
             "annual_planned_investment": Decimal("20000"), "stage": Stage.under_construction} for i in ids])
        db.session.execute(sa.insert(FinancingNeed), [
            {"id": i, "project_id": i, "status": NeedStatus.approved if i <= LISTED_MAX else others[i % len(others)],
             "amount": Decimal(1000 + (i * 7919) % 400000), "term_months": 12 + (i * 31) % 288,
             "use_of_funds": "建设", "contact_name": "张伟", "contact_phone": "028-12345678"} for i in ids])
        db.session.execute(sa.insert(NeedInstrument), [
            {"need_id": i, "instrument": instruments[(i + k) % len(instruments)]} for i in ids for k in (0, 3)])
    for start in range(0, interests, step):
        db.session.execute(sa.insert(Interest), [
            {"need_id": i % total + 1, "org_id": 51 + i % 100, "created_by_id": 1,
             "status": InterestStatus.submitted, "instrument": Instrument.project_loan, "amount": Decimal("5000")}
            for i in range(start, min(start + step, interests))])
    db.session.commit()
    return total, list(range(1, LISTED_MAX + 1))


def list_exactly(db, sa, n: int) -> None:
    from app.models import FinancingNeed, NeedStatus

    pool = FinancingNeed.id <= LISTED_MAX
    db.session.execute(sa.update(FinancingNeed).where(pool, FinancingNeed.id <= n).values(status=NeedStatus.listed))
    db.session.execute(sa.update(FinancingNeed).where(pool, FinancingNeed.id > n).values(status=NeedStatus.approved))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=int, default=40_000, help="needs in other states (fixed)")
    parser.add_argument("--interests", type=int, default=60_000, help="interests (fixed)")
    parser.add_argument("--reset", action="store_true", help="drop every table of DATABASE_URL first")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.mkdtemp(prefix="cp-bench-rec-")
        url = f"sqlite:///{tmp}/bench.db"
    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context(), app.test_request_context():
        if args.reset:
            db.drop_all()
        db.create_all()
        from app.models import User
        from app.services import matching, preferences, recommendations

        t0 = time.perf_counter()
        total, _pool = build(db, sa, other=args.other, interests=args.interests)
        print(f"built {total:,} needs ({args.other:,} never listed) and {args.interests:,} interests "
              f"in {time.perf_counter() - t0:.1f} s on {db.engine.dialect.name}")
        user = db.session.get(User, 1)
        preferences.save_profile(user.org, {
            "industries": ["48", "54", "77"], "districts": [], "instruments": ["project_loan", "syndicated_loan"],
            "levels": ["provincial", "municipal"], "amount_min": Decimal("10000"), "amount_max": Decimal("300000"),
            "term_min": 60, "term_max": 240}, version=0, by=user)
        db.session.commit()
        profile = preferences.get_profile(user.org)

        print(f"{'listed':>8} {'page ms':>9} {'read ms':>9} {'score ms':>9} {'ms / 1,000 listed':>18}")
        for n in SIZES:
            list_exactly(db, sa, n)
            pages, reads, scores = [], [], []
            for _ in range(RUNS):
                db.session.expire_all()
                t = time.perf_counter()
                _p, page = recommendations.recommend(user)
                pages.append(time.perf_counter() - t)
                assert page.total == n
                t = time.perf_counter()
                facts = recommendations.listed_facts(user)
                reads.append(time.perf_counter() - t)
                t = time.perf_counter()
                w = matching.wants(profile)
                matching.rank(matching.score(f, w) for f in facts)
                scores.append(time.perf_counter() - t)
            page_ms = statistics.median(pages) * 1000
            print(f"{n:>8,} {page_ms:>9.1f} {statistics.median(reads) * 1000:>9.1f} "
                  f"{statistics.median(scores) * 1000:>9.1f} {page_ms / (n / 1000):>18.1f}")
        if args.reset or tmp:
            db.session.remove()
            db.drop_all()


if __name__ == "__main__":
    main()
