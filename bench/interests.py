"""Benchmark of the institutions' side: the pipeline page 我的融资意向 (/interests/) and
为您推荐 (/recommendations) under load, and what a recommendation costs as the list grows.

Not a test: run it by hand (about 6–8 minutes with the defaults) on an idle machine.

    createdb -h 127.0.0.1 -U postgres cp_bench_interests
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/cp_bench_interests \\
        .venv/bin/python bench/interests.py --reset        # an EMPTY scratch database
    ... bench/interests.py --reset --duration 5 --runs 3    # quicker

What it does:
1. bulk-inserts, with the generator of bench/editions.py, 60,000 financing needs (--needs) on
   30,000 projects of 300 owners, 20,000 of them (--listed) listed, the others drafts,
   submitted, returned, withdrawn, financed, expired; then 500 verified institutions
   (--institutions: banks, insurers, securities firms, funds; the bench bank among them), each
   with an institution user and a preference profile, and 100,000 interests (--interests)
   spread over the listed needs in every state of the pipeline, ~200 per institution;
2. serves bench/serve.py (the app of wsgi.py plus a bare route) with gunicorn -w 2 and measures
   with wrk (-t2 -c16) in the same run: the bare route, /interests/ and /recommendations signed
   in as the bench bank's user (a filtered and a second page of each too), the bare route again;
3. in-process, with the total of needs and interests fixed: the cold cost of a recommendation
   (the first request after a change of the list) and the warm one at 5,000 / 10,000 / 20,000
   listed needs; then, at 20,000 listed, with the needs that are not listed and the interests
   doubled: the cold cost follows the listed needs only;
4. prints the tables and PASS/FAIL against the targets (p95 <= 100 ms, ratio >= 0.1 to the
   bare route of the same run).
"""

import argparse
import os
import random
import secrets
import shutil
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.editions import READER_EMAIL, _insert, build_schema, generate, log_in, measure_routes  # noqa: E402

TARGETS = {"p95_ms": 100.0, "ratio": 0.1}
SIZES = (5_000, 10_000, 20_000)
KINDS = ("bank", "insurer", "securities", "private_capital")
DIVISIONS = ("54", "53", "56", "46", "44", "77", "76", "84", "83", "89", "39", "27", "36", "65", "59", "70")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--needs", type=int, default=60_000, help="financing needs in all")
    p.add_argument("--listed", type=int, default=20_000, help="of them listed")
    p.add_argument("--institutions", type=int, default=500, help="verified institutions")
    p.add_argument("--interests", type=int, default=100_000, help="interests in listed needs")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--runs", type=int, default=5, help="in-process runs per size (median)")
    p.add_argument("--config", default="production", help="FLASK_CONFIG for gunicorn")
    p.add_argument("--reset", action="store_true",
                   help="drop every table of DATABASE_URL first (never use on real data)")
    p.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    p.add_argument("--redis", default=os.environ.get("REDIS_URL"),
                   help="REDIS_URL for gunicorn's shared cache (default: $REDIS_URL; none: per-process caches)")
    p.add_argument("--skip-http", action="store_true", help="only the in-process measurements")
    return p.parse_args()


# ---- data ------------------------------------------------------------------------------------
def profile_row(rng: random.Random, org_id: int, places: list[str]) -> dict:
    """A plausible preference profile: a few industries, districts and instruments, ranges."""
    low = Decimal(rng.choice((0, 1000, 5000, 10000, 20000)))
    return {
        "org_id": org_id,
        "industries": sorted(rng.sample(DIVISIONS, rng.randint(0, 4))),
        "districts": sorted(rng.sample(places, rng.randint(0, 3))),
        "instruments": sorted(rng.sample(("project_loan", "syndicated_loan", "working_capital_loan", "bond",
                                          "abs_reits", "equity", "industry_fund", "financial_leasing",
                                          "insurance_debt_plan"), rng.randint(1, 3))),
        "levels": sorted(rng.sample(("provincial", "municipal", "general"), rng.randint(0, 2))),
        "amount_min": low or None, "amount_max": low * 10 + Decimal(50000) if rng.random() < 0.8 else None,
        "term_min": rng.choice((None, 12, 36, 60)), "term_max": rng.choice((None, 120, 180, 240)),
        "version": 1,
    }


def add_institutions(n: int, password_hash: str) -> list[int]:
    """n - 1 verified institutions beside the bench bank, each with a user; a profile for all n."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Organization, OrgStatus, PreferenceProfile, Role, User, UserStatus
    from app.models.base import utcnow
    from app.reference import OrgKind, districts
    from app.services import credit_code

    rng = random.Random(20261201)
    now = utcnow()

    def code(i: int) -> str:
        body = f"91510100MC{i:07d}"
        return body + credit_code.check_character(body)

    _insert(Organization, [
        {"name": f"基准金融机构{i:03d}", "credit_code": code(i), "kind": OrgKind(KINDS[i % len(KINDS)]),
         "status": OrgStatus.verified, "verified_at": now, "created_at": now} for i in range(1, n)])
    bank_id = db.session.scalar(sa.select(User.org_id).where(User.email == READER_EMAIL))
    org_ids = [bank_id, *db.session.scalars(sa.select(Organization.id).where(
        Organization.name.like("基准金融机构%")).order_by(Organization.id))]
    _insert(User, [{"email": f"inst{i}@bench-citypartner.cn", "name": f"客户经理{i}", "org_id": org_id,
                    "role": Role.institution, "status": UserStatus.active, "password_hash": password_hash,
                    "locale": "zh", "created_at": now} for i, org_id in enumerate(org_ids[1:], 1)])
    places = [d.code for d in districts()]
    rows = [profile_row(rng, org_id, places) for org_id in org_ids]
    rows[0].update(industries=["54", "77", "84"], districts=[], instruments=["project_loan", "syndicated_loan"],
                   levels=["provincial", "municipal"], amount_min=Decimal("10000"), amount_max=Decimal("300000"),
                   term_min=36, term_max=180)  # the bench bank's: scores spread over the whole range
    _insert(PreferenceProfile, rows)
    return org_ids


def list_needs(n_listed: int) -> list[int]:
    """The approved needs become listed (as publishing an edition leaves them), up to n_listed."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FinancingNeed, NeedStatus

    ids = list(db.session.scalars(sa.select(FinancingNeed.id).where(
        FinancingNeed.status == NeedStatus.approved).order_by(FinancingNeed.id).limit(n_listed)))
    db.session.execute(sa.update(FinancingNeed).where(FinancingNeed.id.in_(ids)).values(status=NeedStatus.listed))
    return ids


def add_interests(n: int, need_ids: list[int], org_ids: list[int], user_of: dict[int, int], *,
                  seed: int = 7) -> None:
    """n interests, institution i's on needs i·40 + k·100 (mod the list): one per institution and
    need, so the one-live-interest rule holds; every state of the pipeline, the exits too."""
    from app.extensions import db
    from app.models import Interest, InterestStatus, RejectionReason
    from app.models.base import utcnow
    from app.reference import Instrument

    rng = random.Random(seed)
    now = utcnow()
    states = list(InterestStatus)
    weights = (30, 20, 15, 10, 8, 6, 6, 5)  # most deals early in the pipeline
    instruments = list(Instrument)
    rows = []
    per_org = -(-n // len(org_ids))
    for o, org_id in enumerate(org_ids):
        for k in range(per_org):
            if len(rows) == n:
                break
            status = rng.choices(states, weights)[0]
            amount = Decimal(rng.randrange(1000, 200000))
            stamp = now - timedelta(minutes=rng.randrange(0, 200_000))
            row = {"need_id": need_ids[(o * 40 + k * 100) % len(need_ids)], "org_id": org_id,
                   "created_by_id": user_of[org_id], "status": status, "instrument": rng.choice(instruments),
                   "product_name": "固定资产贷款", "amount": amount, "rate": Decimal("3.45"), "term_months": 120,
                   "created_at": stamp, "updated_at": stamp + timedelta(minutes=rng.randrange(0, 5000)),
                   "disbursed_amount": Decimal(0), "version": 1}
            if status in (InterestStatus.approved, InterestStatus.funded):
                row.update(credit_amount=amount, credit_date=stamp.date(), approved_at=stamp)
            if status is InterestStatus.funded:
                row.update(disbursed_amount=(amount / 2).quantize(Decimal("0.01")), funded_at=stamp)
            if status is InterestStatus.rejected:
                row.update(rejection_reason=rng.choice(list(RejectionReason)), rejection_note="现金流测算不足",
                           closed_at=stamp)
            if status in (InterestStatus.declined, InterestStatus.withdrawn):
                row.update(closed_at=stamp, decline_reason="暂不需要" if status is InterestStatus.declined else None)
            rows.append(row)
    _insert(Interest, rows)
    db.session.flush()


def build(args) -> int:
    """The world of the benchmark; the bench bank's organisation id."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import User

    generate(args.needs, args.listed)
    password_hash = db.session.scalar(sa.select(User.password_hash).where(User.email == READER_EMAIL))
    org_ids = add_institutions(args.institutions, password_hash)
    listed = list_needs(args.listed)
    user_of = dict(db.session.execute(sa.select(User.org_id, User.id).where(User.org_id.in_(org_ids))).all())
    add_interests(args.interests, listed, org_ids, user_of)
    db.session.commit()
    analyze()
    return org_ids[0]


# ---- load ------------------------------------------------------------------------------------
def measure_http(env: dict, duration: int, port: int = 0) -> list[tuple[str, str, dict]]:
    from bench.serve import BARE

    filtered = "/recommendations?instrument=project_loan&min_score=60"

    def routes(base):
        reader = log_in(base, READER_EMAIL)
        return [  # label, path, cookie, a unique dummy parameter per request (no kept page)
            ("bare Flask route", BARE, None, False),
            ("institution: /interests/", "/interests/", reader, False),
            ("institution: /interests/, filtered", "/interests/?status=contacted", reader, False),
            ("institution: /interests/ page 5", "/interests/?page=5", reader, False),
            ("institution: /recommendations", "/recommendations", reader, False),
            ("institution: /recommendations, filtered", filtered, reader, False),
            ("institution: /recommendations page 50", "/recommendations?page=50", reader, False),
            ("/recommendations, every request rendered", "/recommendations", reader, True),
            ("/recommendations filtered, every request rendered", filtered, reader, True),
            ("bare Flask route (again)", BARE, None, False),
        ]
    return measure_routes(env, duration, port, routes)


# ---- cost against size -------------------------------------------------------------------------
def list_exactly(listed: list[int], n: int) -> None:
    """The first n of the listed needs stay listed, the others go back to approved (not
    listed): the number of needs and interests stays the same. Committed: the listing
    generation is renewed, as by any change of the list."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FinancingNeed, NeedStatus

    db.session.execute(sa.update(FinancingNeed).where(FinancingNeed.id.in_(listed[:n]))
                       .values(status=NeedStatus.listed))
    db.session.execute(sa.update(FinancingNeed).where(FinancingNeed.id.in_(listed[n:]))
                       .values(status=NeedStatus.approved))
    db.session.commit()


def time_recommendations(user_id: int, runs: int) -> dict:
    """Median ms of recommend() cold (the listing generation just renewed, as after a change)
    and warm (asked again), the cold one's CPU time in this process (what the machine's load
    disturbs least), and its parts: reading the facts, building the Listing, ranking."""
    from app.extensions import db
    from app.models import User
    from app.services import matching, page_cache, preferences, recommendations
    from app.services.ranking import Listing

    user = db.session.get(User, user_id)
    wants = matching.wants(preferences.get_profile(user.org))
    times: dict[str, list[float]] = {k: [] for k in ("cold", "cold_cpu", "warm", "read", "listing", "rank")}
    total = 0
    for _ in range(runs):
        page_cache.new_listing_generation()
        db.session.expire_all()
        t, cpu = time.perf_counter(), time.process_time()
        _p, page = recommendations.recommend(user)
        times["cold"].append(time.perf_counter() - t)
        times["cold_cpu"].append(time.process_time() - cpu)
        total = page.total
        t = time.perf_counter()
        recommendations.recommend(user)
        times["warm"].append(time.perf_counter() - t)
        with recommendations.no_collection():  # as the cold call reads them
            t = time.perf_counter()
            facts = recommendations.listed_facts(user)
            times["read"].append(time.perf_counter() - t)
            t = time.perf_counter()
            listing = Listing(facts)
            times["listing"].append(time.perf_counter() - t)
        t = time.perf_counter()
        listing.rank(wants)
        times["rank"].append(time.perf_counter() - t)
    out = {k: statistics.median(v) * 1000 for k, v in times.items()}
    out["listed"] = total
    return out


def counts() -> tuple[int, int]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FinancingNeed, Interest

    return (db.session.scalar(sa.select(sa.func.count(FinancingNeed.id))),
            db.session.scalar(sa.select(sa.func.count(Interest.id))))


def double_the_rest(args, org_ids: list[int]) -> None:
    """As many needs again that are not listed (with their projects and instruments), and as
    many interests again, on those needs: the listed needs stay as they are."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FinancingNeed, NeedInstrument, NeedStatus, User

    n_other = db.session.scalar(sa.select(sa.func.count(FinancingNeed.id)).where(
        FinancingNeed.status.notin_([NeedStatus.listed, NeedStatus.approved])))
    rows = db.session.execute(sa.select(FinancingNeed).where(FinancingNeed.status.notin_(
        [NeedStatus.listed, NeedStatus.approved])).order_by(FinancingNeed.id).limit(n_other)).scalars().all()
    columns = [c.key for c in sa.inspect(FinancingNeed).column_attrs if c.key != "id"]
    copies = [{c: getattr(n, c) for c in columns} for n in rows]
    first = db.session.scalar(sa.select(sa.func.max(FinancingNeed.id))) + 1
    _insert(FinancingNeed, copies)
    new_ids = list(db.session.scalars(sa.select(FinancingNeed.id).where(FinancingNeed.id >= first)
                                      .order_by(FinancingNeed.id)))
    _insert(NeedInstrument, [{"need_id": i, "instrument": n.instrument_rows[0].instrument}
                             for i, n in zip(new_ids, rows, strict=True) if n.instrument_rows])
    user_of = dict(db.session.execute(sa.select(User.org_id, User.id).where(User.org_id.in_(org_ids))).all())
    add_interests(args.interests, new_ids, org_ids, user_of, seed=8)
    db.session.commit()
    analyze()


def analyze() -> None:
    import sqlalchemy as sa

    from app.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def measure_sizes(args, bank_id: int) -> list[tuple]:
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import FinancingNeed, NeedStatus, Organization, OrgStatus, User

    user_id = db.session.scalar(sa.select(User.id).where(User.email == READER_EMAIL))
    listed = list(db.session.scalars(sa.select(FinancingNeed.id).where(
        FinancingNeed.status == NeedStatus.listed).order_by(FinancingNeed.id)))
    rows = []
    for n in SIZES:
        if n > len(listed):
            continue
        list_exactly(listed, n)
        rows.append(("fixed", *counts(), time_recommendations(user_id, args.runs)))
    list_exactly(listed, len(listed))
    org_ids = list(db.session.scalars(sa.select(Organization.id).where(
        Organization.status == OrgStatus.verified, Organization.kind.in_(["bank", "insurer", "securities",
                                                                          "private_capital"]))))
    double_the_rest(args, org_ids)
    rows.append(("others doubled", *counts(), time_recommendations(user_id, args.runs)))
    return rows


# ---- main ------------------------------------------------------------------------------------
def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None and not args.skip_http:
        sys.exit("wrk is not installed (apt-get install wrk)")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("DATABASE_URL must name an empty scratch PostgreSQL database")

    from app import create_app
    from app.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, REQUIRE_SECOND_APPROVAL=False, MAIL_SERVER=None)
    with app.app_context():
        t = time.perf_counter()
        build_schema(app, args.reset)
        bank_id = build(args)
        needs, interests = counts()
        print(f"built {needs:,} needs ({args.listed:,} listed), {args.institutions} institutions and "
              f"{interests:,} interests in {time.perf_counter() - t:.1f} s", flush=True)
        db.session.remove()
        db.engine.dispose()

    http = []
    if not args.skip_http:
        env = {**os.environ, "DATABASE_URL": url, "FLASK_CONFIG": args.config,
               "SECRET_KEY": secrets.token_hex(32), "RATELIMIT_ENABLED": "0"}
        env.pop("MAIL_SERVER", None)
        env.pop("REDIS_URL", None)
        if args.redis:
            env["REDIS_URL"] = args.redis
        http = measure_http(env, args.duration, args.port)
    with app.app_context(), app.test_request_context():
        sizes = measure_sizes(args, bank_id)
    report(args, http, sizes)


def report(args, http, sizes) -> None:
    print()
    if http:
        print(f"CityPartner institutions' pages: {args.listed:,} listed needs, {args.interests:,} interests, "
              f"{args.institutions} institutions, PostgreSQL; gunicorn -w 2, wrk -t2 -c16 -d{args.duration}s, "
              f"{os.cpu_count()} CPUs; cache: {'Redis' if args.redis else 'per process'}")
        bare = [r["rps"] for label, _p, r in http if label.startswith("bare")]
        ceiling = sum(bare) / len(bare)
        print(f"{'route':<52} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>9} {'vs bare':>8} {'errors':>7}")
        for label, _path, r in http:
            print(f"{label:<52} {r['p50']:>8.2f} {r['p95']:>8.2f} {r['rps']:>9.1f} {r['rps'] / ceiling:>8.3f} "
                  f"{r['errors']:>7}")
        print()
        for label, _path, r in http:
            if label in ("institution: /interests/", "institution: /recommendations"):
                ratio = r["rps"] / ceiling
                for name, ok, value, unit in ((f"{label} p95 <= 100 ms", 0 < r["p95"] <= TARGETS["p95_ms"],
                                               r["p95"], "ms"),
                                              (f"{label} >= 0.1 x bare", ratio >= TARGETS["ratio"], ratio, "")):
                    print(f"  {'PASS' if ok else 'FAIL'}  {name:<58} {value:.3f} {unit}")
        print()
    print(f"recommend() in-process, median of {args.runs} (ms; cold: the first request after a change of the list)")
    print(f"{'world':<16} {'needs':>8} {'interests':>10} {'listed':>8} {'cold':>8} {'cold CPU':>9} {'read':>8} "
          f"{'listing':>8} {'rank':>8} {'warm':>8} {'cold CPU / 1,000 listed':>24}")
    for world, needs, interests, t in sizes:
        print(f"{world:<16} {needs:>8,} {interests:>10,} {t['listed']:>8,} {t['cold']:>8.1f} {t['cold_cpu']:>9.1f} "
              f"{t['read']:>8.1f} {t['listing']:>8.1f} {t['rank']:>8.1f} {t['warm']:>8.1f} "
              f"{t['cold_cpu'] / (t['listed'] / 1000):>24.1f}")
    print(f"\n  load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
