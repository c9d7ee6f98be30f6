"""Benchmark of the printed list: the edition PDF of N items (default 1,000), no database.

Not a test: run it by hand on an otherwise idle machine and read the lines it prints.

    .venv/bin/python bench/pdf.py                 # 1,000 items, 3 runs
    .venv/bin/python bench/pdf.py --items 2000 --runs 5 --contacts --out /tmp/list.pdf

It builds N snapshot items like the editions service freezes them (Chinese names of
varying length, every district, level and instrument), then calls exports.edition_pdf
(the shared PDF writer, app/services/pdf.py) several times in one process: the first run
also loads the Chinese fonts (what a fresh worker pays once), the later ones are what
every further PDF of that process costs. Each run renames every item, so no run is
answered from the compiler's cache of an earlier one (Typst memoises layout: the same
document compiled twice in a process takes a few milliseconds the second time). It prints wall and CPU seconds,
pages and size per run, the machine's load average, and PASS/FAIL against the target:
the PDF of 1,000 items in <= 1.5 s (wall, after the first).
"""

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 1.5
DISTRICTS = ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "青白江区", "新都区", "温江区",
             "双流区", "郫都区", "新津区", "简阳市", "都江堰市", "彭州市", "邛崃市", "崇州市"]
WORDS = ["轨道交通", "综合管廊", "污水处理", "安置房", "产业园区", "医院新院区", "学校扩建", "物流枢纽",
         "生态修复", "数字经济", "新能源", "城市更新", "片区开发", "水利枢纽", "文旅融合"]
ORGS = ["成都轨道交通集团有限公司", "成都兴城投资集团有限公司", "成都交通投资集团有限公司",
        "成都环境投资集团有限公司", "成都文化旅游发展集团有限责任公司", "四川天府新区投资集团有限公司"]


def make_items(n: int, rng: random.Random) -> list[dict]:
    from app.reference import Instrument, Level

    levels = [m.value for m in Level]
    instruments = [m.value for m in Instrument]
    items = []
    for seq in range(1, n + 1):
        name = "".join(rng.sample(WORDS, rng.randint(1, 3))) + f"项目（{seq}期）"
        items.append({
            "seq": seq, "marker": rng.choice(["new", "carried"]), "project_name": "成都市" + name,
            "project_code": f"2026-510100-48-01-{seq:06d}", "owner_org": rng.choice(ORGS),
            "level": rng.choice(levels), "category": "infrastructure", "industry_code": "48",
            "industry_name_zh": "土木工程建筑业", "district_name_zh": rng.choice(DISTRICTS),
            "zone_name_zh": rng.choice([None, None, "成都高新区", "天府新区"]), "stage": "under_construction",
            "reserve_substage": None, "total_investment": f"{rng.randint(10_000, 5_000_000)}.00",
            "annual_planned_investment": "150000.00", "amount": f"{rng.randint(1_000, 900_000)}.{rng.randint(0, 99):02d}",
            "funds_secured": "0", "instruments": rng.sample(instruments, rng.randint(1, 3)),
            "term_months": rng.choice([None, 36, 120, 180, 240]), "cost_ceiling": "4.35",
            "use_of_funds": "工程建设", "credit_enhancements": [], "planned_start": "2025-03-01",
            "planned_completion": "2028-12-31", "description": "", "is_priority": seq % 5 == 0,
            "contact_name": "王某某", "contact_phone": "13912345678", "contact_email": f"owner{seq}@example.cn",
        })
    return items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--contacts", action="store_true", help="the version with the contact column")
    parser.add_argument("--out", help="write the last PDF here")
    args = parser.parse_args()

    from pypdf import PdfReader

    from app import create_app
    from app.services import exports

    app = create_app("testing")
    meta = {"year": 2026, "period": 6, "revision": 2, "title_zh": "2026年第6期（11–12月）",
            "months_zh": "11–12月", "published_at": "2026-10-31T17:30:00+00:00",
            "correction_note": "第2项融资金额更正。", "item_count": args.items, "contacts": args.contacts}
    items = make_items(args.items, random.Random(6))
    walls = []
    with app.app_context():
        for run in range(1, args.runs + 1):
            for item in items:
                item["project_name"] = item["project_name"].split("·")[0] + f"·{run}"
            wall, cpu = time.perf_counter(), time.process_time()
            data = exports.edition_pdf(meta, items)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            walls.append(wall)
            pages = len(PdfReader(io.BytesIO(data)).pages)
            note = "first in this process: loads the fonts" if run == 1 else ""
            print(f"run {run}: {wall:6.2f} s wall {cpu:6.2f} s CPU  {pages} pages  {len(data) / 1e6:.2f} MB  {note}")
    if args.out:
        Path(args.out).write_bytes(data)
    warm = min(walls[1:] or walls)
    ok = warm <= TARGET_S
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'PASS' if ok else 'FAIL'}  PDF of {args.items:,} items: {warm:.2f} s (target <= {TARGET_S} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
