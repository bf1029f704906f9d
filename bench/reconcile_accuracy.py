"""How often the reconciliation service ranks the right entity first, on tests/fixtures/name-variants.csv.

    .venv/bin/python bench/reconcile_accuracy.py      (over the published release; `make build` first)

Prints right/total per kind of variant, the misses, and the time per query of one batch.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

from lod.config import load
from lod.web import create_app

VARIANTS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "name-variants.csv"


def main() -> int:
    rows = list(csv.DictReader(VARIANTS.open(encoding="utf-8")))
    queries = {}
    for i, r in enumerate(rows):
        queries[f"q{i}"] = {"query": r["query"], "type": r["type"]}
        if r["birth_year"]:
            queries[f"q{i}"]["properties"] = [{"pid": "birth_year", "v": int(r["birth_year"])}]
    client = create_app(load()).test_client()
    client.get("/reconcile", query_string={"queries": json.dumps({"warm": {"query": "x"}})})  # builds the index
    start = time.perf_counter()
    answer = client.post("/reconcile", data={"queries": json.dumps(queries)}).json
    seconds = time.perf_counter() - start
    right, total = Counter(), Counter()
    for i, r in enumerate(rows):
        top = answer[f"q{i}"]["result"][:1]
        total[r["variant"]] += 1
        if top and top[0]["id"] == f"{r['type']}/{r['expected']}":
            right[r["variant"]] += 1
        else:
            print(f"miss ({r['variant']}): {r['query']!r} → {top[0]['id'] if top else 'nothing'}, "
                  f"expected {r['type']}/{r['expected']}")
    print("\n| variant | right first | of |\n|---|---|---|")
    for variant in sorted(total):
        print(f"| {variant} | {right[variant]} | {total[variant]} |")
    print(f"| **all** | {sum(right.values())} | {len(rows)} |")
    print(f"\n{len(rows)} queries in one batch: {seconds:.2f} s ({1000 * seconds / len(rows):.1f} ms per query)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
