"""Benchmark of publishing a list edition: open_draft, then publish_edition + commit.

Not a test: run it by hand and read the seconds (wall and CPU, since the machine may be
shared: CPU time is what the process itself spent).

    .venv/bin/python bench/publish.py                       # temp SQLite file, 2,000 items
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/cp_bench_publish \\
        .venv/bin/python bench/publish.py --reset           # an EMPTY scratch database
    .venv/bin/python bench/publish.py --items 500 --profile # a cProfile of the publish step

The data: --items approved needs (default 2,000, one per project, each valid for every
readiness check) among --needs needs in all (default 4,000), bulk-inserted by the same
generator as bench/editions.py. The publish step runs as the edition publish view does:
a fresh session, preload, publish_edition, commit. Files and notices are jobs run after
the commit and are not part of the figure (the jobs run in-process here and are timed
separately as "after the commit").
"""

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.editions import PERIOD, YEAR, build_schema, generate  # noqa: E402

TARGET_S = 2.0


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--needs", type=int, default=4_000, help="financing needs to generate")
    p.add_argument("--items", type=int, default=2_000, help="approved needs, hence items")
    p.add_argument("--reset", action="store_true",
                   help="drop every table of DATABASE_URL first (never use on real data)")
    p.add_argument("--profile", action="store_true", help="print a cProfile of the publish step")
    return p.parse_args()


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> None:
    args = parse_args()
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="cp-bench-publish-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ.pop("REDIS_URL", None)  # jobs in-process after the commit
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 40)

    import sqlalchemy as sa

    from app import create_app
    from app.extensions import db
    from app.models import AuditEntry, Edition, User
    from app.services import editions, jobs

    app = create_app("production")
    app.config["REQUIRE_SECOND_APPROVAL"] = False  # one admin publishes: the step timed alone
    with app.app_context():
        build_schema(app, args.reset)
        admin_id = generate(args.needs, args.items).id
        with Clock() as compiled:
            edition = editions.open_draft(YEAR, PERIOD, by=db.session.get(User, admin_id))
            db.session.commit()
        edition_id = edition.id
        db.session.remove()

        statements = []
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda conn, cur, stmt, *a: statements.append(stmt))  # counted until the commit
        profiler = cProfile.Profile() if args.profile else None
        with app.test_request_context("/"):
            admin = db.session.get(User, admin_id)
            edition = db.session.get(Edition, edition_id)
            held = []  # the jobs the commit hands over, run after the clock stops
            run_here, jobs._run_here = jobs._run_here, held.extend
            with Clock() as published:
                if profiler:
                    profiler.enable()
                editions.preload(edition)
                editions.publish_edition(edition, by=admin)
                db.session.commit()
                if profiler:
                    profiler.disable()
            n_statements = len(statements)
            jobs._run_here = run_here
            with Clock() as after:
                run_here(held)
        items = len(edition.items)
        audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == "financing_need.listed"))

    dialect = "postgresql" if "postgresql" in os.environ["DATABASE_URL"] else "sqlite"
    print(f"database          {dialect}")
    print(f"items             {items}  (needs moved to listed, audited: {audits})")
    print(f"open_draft+commit wall {compiled.wall:6.2f} s   cpu {compiled.cpu:6.2f} s")
    print(f"publish+commit    wall {published.wall:6.2f} s   cpu {published.cpu:6.2f} s   "
          f"{n_statements} SQL statements   target <= {TARGET_S:.1f} s: "
          f"{'PASS' if published.wall <= TARGET_S else 'FAIL'} (wall)")
    print(f"after the commit  wall {after.wall:6.2f} s   cpu {after.cpu:6.2f} s   "
          f"({len(held)} jobs: files and notices, in-process)")
    try:
        print(f"load average      {os.getloadavg()[0]:.1f}")
    except OSError:
        pass
    if os.environ.get("BENCH_SQL"):
        from collections import Counter
        for stmt, n in Counter(" ".join(s.split())[:90] for s in statements).most_common(12):
            print(f"{n:6d}  {stmt}")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(35)


if __name__ == "__main__":
    main()
