"""Benchmark of a published list edition: its public page under load, and its exports.

Not a test: run it by hand (about 2–4 minutes with the defaults) and read the table.

    .venv/bin/python bench/editions.py                      # temp SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/cp_bench \\
        .venv/bin/python bench/editions.py --reset          # an EMPTY scratch database
    .venv/bin/python bench/editions.py --needs 5000 --items 500 --duration 5   # quicker

What it does:
1. builds the schema (Alembic upgrade) and bulk-inserts N financing needs (default 50,000)
   on N/2 projects of 300 owner organisations; M of them (default 2,000, one per project)
   are approved, the rest are drafts, returned, withdrawn, financed …;
2. compiles and publishes the edition through the real services
   (editions.open_draft + publish_edition: readiness checks, snapshots, stored exports);
3. times the PDF and Excel exports of 1,000 of its items (functions called directly);
4. serves the app with gunicorn (-w 2, 127.0.0.1, a free port) and measures with wrk
   (-t2 -c16 -d10s) the trivial route /healthz and the edition page: plain, filtered
   and keyword search, each once as repeated (the page cache answers) and once with a
   unique dummy query parameter per request (every request renders the page);
5. prints a table of p50 / p95 / p99 latency and requests/s, the ratio page/trivial and
   the targets: unfiltered page >= 0.5 x trivial req/s; p95 <= 100 ms with filters and
   search at 2,000 items; PDF of 1,000 items <= 1.5 s; Excel <= 3 s.
"""

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR, PERIOD = 2026, 6
EXPORT_ITEMS = 1000
# Ratios to the bare route's requests/s (issue targets), then latency and file times.
TARGETS = {"public": 0.5, "reader": 0.15, "p95_ms": 100.0, "pdf_s": 1.5, "xlsx_s": 3.0, "publish_s": 2.0}
ADMIN_EMAIL, READER_EMAIL = "admin@bench-citypartner.cn", "bank@bench-citypartner.cn"
PASSWORD = secrets.token_urlsafe(12)  # this run's only

# wrk prints its own percentiles (50/75/90/99); this script adds p95 and a parseable line.
# With BUST=1 each request carries a unique dummy parameter, so no cache can answer it.
WRK_SCRIPT = r"""
local bust = os.getenv("BUST") == "1"
local n = 0
local tag = tostring(math.random(1, 1000000000))
request = function()
  n = n + 1
  local path = wrk.path
  if bust then
    local sep = "?"
    if string.find(path, "?", 1, true) then sep = "&" end
    path = path .. sep .. "_b=" .. tag .. "-" .. n
  end
  return wrk.format(nil, path)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("BENCH p50=%.3f p95=%.3f p99=%.3f rps=%.1f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6), summary.requests, errors))
end
"""

# Realistic names: 区县 + place + works; a number keeps every name unique.
PLACES = ("天府大道", "锦江绿道", "东部新城", "科学城", "空港", "青白江铁路港", "龙泉山",
          "淮州", "简州", "西部鞋都", "新经济产业园", "医学城", "凤凰山", "沱江", "岷江")
WORKS = (
    ("54", "infrastructure", "城市轨道交通配套道路工程"), ("53", "infrastructure", "铁路专用线建设项目"),
    ("56", "infrastructure", "机场综合交通枢纽配套工程"), ("46", "infrastructure", "供水管网改造项目"),
    ("44", "infrastructure", "分布式光伏发电项目"), ("77", "ecology", "生态修复及水环境综合治理项目"),
    ("76", "ecology", "防洪堤整治工程"), ("84", "livelihood", "人民医院新院区建设项目"),
    ("83", "livelihood", "中小学校新建工程"), ("89", "livelihood", "全民健身中心建设项目"),
    ("39", "industry", "新型显示面板生产线项目"), ("27", "industry", "生物医药产业化基地"),
    ("36", "industry", "新能源汽车零部件产业园"), ("65", "industry", "软件和信息服务产业园"),
    ("59", "infrastructure", "智慧物流仓储中心"), ("70", "livelihood", "保障性租赁住房项目"),
)
DESCRIPTIONS = ("建设内容包括主体工程、配套管网及附属设施。", "项目建成后将完善片区功能，带动产业发展。",
                "分两期实施，一期已完成可研批复。")
USES = ("工程建设", "设备购置及安装", "土地整理及配套建设", "置换前期投入")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--needs", type=int, default=50_000, help="financing needs to generate")
    p.add_argument("--items", type=int, default=2_000, help="items of the published edition")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--config", default="production", help="FLASK_CONFIG for gunicorn")
    p.add_argument("--reset", action="store_true",
                   help="drop every table of DATABASE_URL first (never use on real data)")
    p.add_argument("--keep", action="store_true", help="keep the temp SQLite database")
    p.add_argument("--port", type=int, default=0, help="port for gunicorn (default: a free one)")
    return p.parse_args()


# ---- data ------------------------------------------------------------------------------------
def build_schema(app, reset: bool) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from app.extensions import db

    existing = sa.inspect(db.engine).get_table_names()
    if existing and not reset:
        sys.exit(f"{db.engine.url.render_as_string()} already has tables: "
                 "give an empty scratch database, or --reset to drop them.")
    if existing:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE"))
    upgrade(directory=str(ROOT / "migrations"))


def _insert(model, rows: list[dict], batch: int = 5000) -> None:
    import sqlalchemy as sa

    from app.extensions import db

    for start in range(0, len(rows), batch):
        db.session.execute(sa.insert(model), rows[start:start + batch])


def generate(n_needs: int, n_items: int):
    """Bulk-insert organisations, projects, needs and instruments; return the admin."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import (
        FinancingNeed,
        NeedInstrument,
        NeedStatus,
        Organization,
        OrgStatus,
        Project,
        Role,
        User,
        UserStatus,
    )
    from app.models.base import utcnow
    from app.reference import (
        CreditEnhancement,
        Instrument,
        Level,
        OrgKind,
        ReserveSubstage,
        Stage,
        districts,
        industry,
    )
    from app.services import credit_code

    rng = random.Random(20261101)
    now = utcnow()
    places = districts()

    def code(n: int) -> str:
        body = f"91510100MA{n:07d}"
        return body + credit_code.check_character(body)

    gov = Organization(name="成都市发展和改革委员会", credit_code=code(1), kind=OrgKind.government,
                       status=OrgStatus.verified, verified_at=now)
    db.session.add(gov)
    db.session.flush()
    password_hash = generate_password_hash(PASSWORD)
    admin = User(email=ADMIN_EMAIL, name="基准管理员", org=gov, role=Role.admin,
                 status=UserStatus.active, password_hash=password_hash)
    bank = Organization(name="成都基准银行股份有限公司", credit_code=code(2), kind=OrgKind.bank,
                        status=OrgStatus.verified, verified_at=now)
    db.session.add_all([admin, bank])
    db.session.flush()
    db.session.add(User(email=READER_EMAIL, name="基准客户经理", org=bank, role=Role.institution,
                        status=UserStatus.active, password_hash=password_hash))
    db.session.flush()

    n_orgs = 300
    _insert(Organization, [
        {"name": f"成都{places[i % len(places)].name_zh}第{i}建设投资有限公司", "credit_code": code(10 + i),
         "kind": OrgKind.owner, "status": OrgStatus.verified, "verified_at": now, "created_at": now}
        for i in range(n_orgs)])
    org_ids = list(db.session.scalars(sa.select(Organization.id).where(Organization.kind == OrgKind.owner)))

    n_projects = max(n_items, (n_needs + 1) // 2)
    projects = []
    for i in range(n_projects):
        place = places[i % len(places)]
        division, category, works = WORKS[i % len(WORKS)]
        stage = (Stage.reserve, Stage.planned_start, Stage.under_construction, Stage.completed)[i % 4]
        total = Decimal(rng.randrange(50_000, 5_000_000)) / 100 * 10  # 5,000 – 500,000 万元
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 900))
        projects.append({
            "org_id": org_ids[i % len(org_ids)],
            "name": f"{place.name_zh}{PLACES[i % len(PLACES)]}{works}（{i + 1}号）",
            "code": f"2026-{place.code}-{division}-01-{i + 1:06d}",
            "level": (Level.provincial, Level.municipal, Level.general)[i % 3],
            "category": category, "industry_code": division, "district_code": place.code,
            "zone_code": ("tianfu", "hitech", "eastern", None, None, None)[i % 6],
            "total_investment": total, "annual_planned_investment": (total / 4).quantize(Decimal("0.01")),
            "stage": stage,
            "reserve_substage": ReserveSubstage.design if stage is Stage.reserve else None,
            "planned_start": start, "planned_completion": start + timedelta(days=rng.randrange(365, 1500)),
            "is_priority": i % 9 == 0, "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
            "created_at": now, "updated_at": now,
        })
    assert all(industry(p["industry_code"]) for p in projects[:len(WORKS)])
    _insert(Project, projects)
    project_rows = db.session.execute(
        sa.select(Project.id, Project.total_investment, Project.stage).order_by(Project.id)).all()

    others = (NeedStatus.draft, NeedStatus.submitted, NeedStatus.returned, NeedStatus.withdrawn,
              NeedStatus.financed, NeedStatus.expired)
    by_stage = {
        Stage.reserve: [Instrument.project_loan, Instrument.bond, Instrument.equity, Instrument.industry_fund],
        Stage.planned_start: [Instrument.project_loan, Instrument.syndicated_loan, Instrument.bond,
                              Instrument.insurance_debt_plan],
        Stage.under_construction: [Instrument.project_loan, Instrument.syndicated_loan,
                                   Instrument.financial_leasing, Instrument.working_capital_loan],
        Stage.completed: [Instrument.abs_reits, Instrument.working_capital_loan, Instrument.bond],
    }
    needs, instruments = [], []
    for n in range(n_needs):
        project_id, total, stage = project_rows[n % len(project_rows)]
        approved = n < n_items  # the first need of each of the first n_items projects
        secured = (total * Decimal("0.45")).quantize(Decimal("0.01"))  # above every capital ratio
        status = NeedStatus.approved if approved else others[n % len(others)]
        needs.append({
            "project_id": project_id,
            "status": status,
            # every need but a draft was submitted once, one a minute over the last weeks
            "submitted_at": None if status is NeedStatus.draft else now - timedelta(minutes=n_needs - n),
            "amount": (total * Decimal(rng.randrange(5, 50)) / 100).quantize(Decimal("0.01")),
            "term_months": rng.choice((12, 36, 60, 120, 180)),
            "cost_ceiling": Decimal(rng.randrange(300, 600)) / 100 if n % 3 else None,
            "use_of_funds": USES[n % len(USES)],
            "credit_enhancements": [CreditEnhancement.mortgage.value, CreditEnhancement.guarantee.value][: 1 + n % 2],
            "funds_secured": secured,
            "contact_name": f"联系人{n}", "contact_phone": f"138{n:08d}",
            "contact_email": f"contact{n}@owner.example.cn",
            "approved_at": now if approved else None, "created_at": now, "updated_at": now,
        })
        choices = by_stage[stage]
        instruments.append(choices[: 1 + n % 3] if n % 2 else [choices[n % len(choices)]])
    _insert(FinancingNeed, needs)
    need_ids = list(db.session.scalars(sa.select(FinancingNeed.id).order_by(FinancingNeed.id)))
    _insert(NeedInstrument, [{"need_id": nid, "instrument": inst}
                             for nid, chosen in zip(need_ids, instruments, strict=True) for inst in chosen])
    db.session.commit()
    return db.session.get(User, admin.id)


def publish(admin):
    from app.extensions import db
    from app.services import editions

    t = time.perf_counter()
    edition = editions.open_draft(YEAR, PERIOD, by=admin)
    db.session.commit()
    compiled = time.perf_counter() - t
    t = time.perf_counter()
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition, compiled, time.perf_counter() - t


def time_exports(edition) -> dict:
    from app.services import editions, exports

    items = [editions.public_data(i.snapshot) for i in sorted(edition.items, key=lambda i: i.seq)]
    items = items[:EXPORT_ITEMS]
    info = {**editions.meta(edition), "item_count": len(items)}
    out = {"export_items": len(items)}
    for name, fn in (("pdf", exports.edition_pdf), ("xlsx", exports.edition_xlsx),
                     ("csv", exports.edition_csv), ("json", exports.edition_json)):
        wall, cpu = time.perf_counter(), time.process_time()
        data = fn(info, items)
        out[name] = (time.perf_counter() - wall, time.process_time() - cpu, len(data))
    return out


# ---- load ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def status_of(url: str, cookie: str | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {}),
                                    timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def run_wrk(url: str, duration: int, script: str, bust: bool, cookie: str | None = None) -> dict:
    cmd = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "-s", script,
           *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    env = {**os.environ, "BUST": "1" if bust else "0"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=duration + 60).stdout
    m = re.search(r"BENCH p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) rps=([\d.]+) requests=(\d+) errors=(\d+)", out)
    if not m:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    p50, p95, p99, rps = (float(x) for x in m.groups()[:4])
    return {"p50": p50, "p95": p95, "p99": p99, "rps": rps, "requests": int(m[5]), "errors": int(m[6])}


def log_in(base: str, email: str) -> str:
    """Log in through the form, as a browser does; the session cookie, for wrk's -H."""
    with urllib.request.urlopen(base + "/login", timeout=10) as r:
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', r.read().decode())[1]
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # the answer to the form carries the new session's cookie

    opener = urllib.request.build_opener(Keep)
    try:
        answer = opener.open(urllib.request.Request(base + "/login", data=data, headers={"Cookie": cookie}),
                             timeout=30).read().decode()
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        return e.headers["Set-Cookie"].split(";", 1)[0]
    alerts = re.findall(r'<div class="alert[^>]*>\s*([^<]+)', answer)
    raise RuntimeError(f"logging in as {email} failed: {alerts}")


def measure_routes(env: dict, duration: int, port: int, routes_of) -> list[tuple[str, str, dict]]:
    """Serve bench/serve.py with gunicorn -w 2 on 127.0.0.1 and run wrk against each route
    that routes_of(base URL) returns as (label, path, session cookie or None, bust): a short
    warm-up, then `duration` seconds. Each must answer 200 first."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "bench.serve:app"],
        cwd=ROOT, env=env, start_new_session=True)
    results = []
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT)
        script = f.name
    try:
        wait_ready(base + "/healthz")
        for label, path, cookie, bust in routes_of(base):
            code = status_of(base + path, cookie)
            if code != 200:
                raise RuntimeError(f"{path} answered {code}, not 200")
            run_wrk(base + path, 2, script, bust, cookie)  # warm-up: imports, caches, connections
            results.append((label, path, run_wrk(base + path, duration, script, bust, cookie)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        os.unlink(script)
    return results


def measure_http(env: dict, duration: int, sample_district: str, port: int = 0) -> list[tuple[str, str, dict]]:
    from bench.serve import BARE

    page = f"/editions/{YEAR}-{PERIOD}"
    filtered = f"{page}?district={sample_district}&level=municipal&instrument=project_loan"
    search = f"{page}?q=%E8%BD%A8%E9%81%93"  # 轨道

    def routes(base):
        reader, admin = log_in(base, READER_EMAIL), log_in(base, ADMIN_EMAIL)
        return [  # label, path, cookie, a unique dummy parameter per request (nothing cached)
            ("bare Flask route", BARE, None, False),
            ("public: edition", page, None, False),
            ("public: filtered", filtered, None, False),
            ("public: search", search, None, False),
            ("institution: edition", page, reader, False),
            ("institution: filtered", filtered, reader, False),
            ("institution: home", "/", reader, False),
            ("admin: review queue", "/needs/review", admin, False),
            ("public: edition, uncached", page, None, True),
            ("institution: edition, uncached", page, reader, True),
            ("institution: filtered, uncached", filtered, reader, True),
            ("bare Flask route (again)", BARE, None, False),
        ]
    return measure_routes(env, duration, port, routes)


# ---- main ------------------------------------------------------------------------------------
def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    tmp = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        tmp = tempfile.mkdtemp(prefix="cp-bench-")
        url = f"sqlite:///{tmp}/bench.db"

    from app import create_app
    from app.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=url, REQUIRE_SECOND_APPROVAL=False,
                     MAIL_SERVER=None)
    with app.app_context():
        t = time.perf_counter()
        build_schema(app, args.reset)
        admin = generate(args.needs, args.items)
        generated = time.perf_counter() - t
        print(f"generated {args.needs:,} needs in {generated:.1f} s on {db.engine.dialect.name}", flush=True)
        edition, compiled, published = publish(admin)
        print(f"compiled {len(edition.items):,} items in {compiled:.1f} s, "
              f"published (readiness, snapshots, 4 stored exports) in {published:.1f} s", flush=True)
        sample_district = edition.items[0].snapshot["district_code"]
        n_items = len(edition.items)
        exports_timing = time_exports(edition)
        db.session.remove()
        db.engine.dispose()

    env = {**os.environ, "DATABASE_URL": url, "FLASK_CONFIG": args.config,
           "SECRET_KEY": secrets.token_hex(32), "REQUIRE_SECOND_APPROVAL": "0",
           "RATELIMIT_ENABLED": "0"}
    env.pop("MAIL_SERVER", None)
    try:
        http = measure_http(env, args.duration, sample_district, args.port)
    finally:
        if tmp and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    report(args, http, exports_timing, url if args.keep or not tmp else "temp SQLite (removed)",
           published, n_items)


def report(args, http, ex, where, published, items) -> None:
    print()
    print(f"CityPartner benchmark: {args.needs:,} needs, edition of {items:,} items, {where}; "
          f"gunicorn -w 2, wrk -t2 -c16 -d{args.duration}s, {os.cpu_count()} CPUs")
    bare = [r["rps"] for label, _p, r in http if label.startswith("bare")]
    ceiling = sum(bare) / len(bare)  # measured first and last: the machine's drift shows
    print(f"{'route':<34} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>9} {'vs bare':>8} {'errors':>7}")
    for label, _path, r in http:
        print(f"{label:<34} {r['p50']:>8.2f} {r['p95']:>8.2f} {r['p99']:>8.2f} {r['rps']:>9.1f} "
              f"{r['rps'] / ceiling:>8.3f} {r['errors']:>7}")
    print()
    print(f"publish {items:,} items (readiness, snapshots, stored files): {published:.2f} s")
    print(f"exports of {ex['export_items']:,} items   wall s   cpu s      bytes")
    for name in ("pdf", "xlsx", "csv", "json"):
        wall, cpu, size = ex[name]
        print(f"  {name:<26} {wall:>7.2f} {cpu:>7.2f} {size:>10,}")
    rows = {label: r for label, _p, r in http}

    def ratio(label):
        return rows[label]["rps"] / ceiling

    checks = [
        ("public edition >= 0.5 x bare", ratio("public: edition"), "", ratio("public: edition") >= TARGETS["public"]),
        ("institution edition >= 0.15 x bare", ratio("institution: edition"), "",
         ratio("institution: edition") >= TARGETS["reader"]),
        ("institution home >= 0.15 x bare", ratio("institution: home"), "",
         ratio("institution: home") >= TARGETS["reader"]),
        ("filtered p95 <= 100 ms", rows["institution: filtered"]["p95"], "ms",
         rows["institution: filtered"]["p95"] <= TARGETS["p95_ms"]),
        ("filtered p95 uncached <= 100 ms", rows["institution: filtered, uncached"]["p95"], "ms",
         rows["institution: filtered, uncached"]["p95"] <= TARGETS["p95_ms"]),
        (f"publish {items:,} items <= 2 s", published, "s", published <= TARGETS["publish_s"]),
        (f"PDF of {ex['export_items']:,} items <= 1.5 s", ex["pdf"][0], "s", ex["pdf"][0] <= TARGETS["pdf_s"]),
        (f"Excel of {ex['export_items']:,} items <= 3 s", ex["xlsx"][0], "s", ex["xlsx"][0] <= TARGETS["xlsx_s"]),
    ]
    print()
    for name, value, unit, ok in checks:
        if unit == "ms" and value == 0:  # wrk saw no answer in time: nothing was measured
            ok = False
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<38} {value:.3f} {unit}")
    errors = sum(r["errors"] for _l, _p, r in http)
    if errors:
        print(f"\n  note: {errors} requests failed or answered non-2xx (see the errors column)")
    print(f"\n  load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
