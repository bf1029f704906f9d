"""The reconciliation matcher over the persons of a large synthetic corpus: time per query and
how often the right person comes first, for name variants a project would send.

    .venv/bin/python bench/reconcile_scale.py --persons 2500 25000 250000

The persons are the synthetic generator's (lod.synthetic: 250,000 at 1M letters), held in memory,
with the name forms the build would index; nothing else of a release is needed. Each drawn person
is asked for five ways: the full name, inverted with initials, another romanisation, a letter
dropped from the family name, and the family name alone; and for suggestions, as the name's first
2 and 4 letters are typed. Prints one row per corpus size, with the yardstick (bench/yardstick.py)
measured around it and the mean time per query against it.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time

from lod.linking import ours
from lod.linking.matcher import Entity, Held, Matcher
from lod.synthetic import person_names, respelled
from yardstick import around

DRAWN = 200


def persons(count: int) -> list[Entity]:
    entities = []
    for i in range(count):
        name, _, _, _, alt_names, real_name = person_names(i, count)
        names = [name, *alt_names.split(";"), *([real_name] if real_name else [])]
        entities.append(Entity(f"person/person-{i}", "person", name, names))
    return sorted(entities, key=lambda e: (e.name, e.id))


def variants(entity: Entity, rng: random.Random) -> dict[str, str]:
    full = entity.names[1]                      # Given Patronymic Family
    given, family = full.split()[0], full.split()[-1]
    dropped = rng.randrange(1, len(family) - 1)
    return {"full": full, "inverted": f"{family}, {given[0]}.", "romanisation": respelled(f"{given} {family}"),
            "typo": f"{given} {family[:dropped]}{family[dropped + 1:]}", "family name": family}


def measure(count: int) -> dict:
    entities = persons(count)
    forms = ours.forms(entities)   # the build's work: folded once, kept in the release's index
    gc.freeze()   # a worker holds no entities: keep the collector from walking these while timing
    begun = time.perf_counter()
    matcher = Matcher(forms, [e.type for e in entities], Held(entities))
    built = time.perf_counter() - begun
    rng, seconds, suggested, right, total = random.Random(7), [], [], {}, {}
    for entity in rng.sample(entities, DRAWN):
        for kind, text in variants(entity, rng).items():
            begun = time.perf_counter()
            results = matcher.reconcile({"query": text, "type": "person"})
            seconds.append(time.perf_counter() - begun)
            total[kind] = total.get(kind, 0) + 1
            right[kind] = right.get(kind, 0) + bool(results and results[0].entity.id == entity.id)
        for letters in (2, 4):   # what OpenRefine's search box sends as a name is typed
            begun = time.perf_counter()
            matcher.suggest(entity.name[:letters], {"person"})
            suggested.append(time.perf_counter() - begun)
    return {"persons": count, "forms": len(matcher.keys), "matcher built s": round(built, 2),
            **timings("", seconds), "right first": ", ".join(f"{k} {right[k]}/{total[k]}" for k in total),
            **timings("suggest ", suggested),
            "peak MiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def timings(label: str, seconds: list[float]) -> dict[str, float]:
    seconds = sorted(seconds)
    return {f"{label}mean ms": round(1000 * statistics.mean(seconds), 1),
            f"{label}p50 ms": round(1000 * seconds[len(seconds) // 2], 1),
            f"{label}p99 ms": round(1000 * seconds[int(len(seconds) * 0.99)], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, nargs="+", default=[2500, 25000, 250000])
    rows: list[dict] = []
    for n in ap.parse_args().persons:
        with around(rows):
            rows.append(measure(n))
        rows[-1]["mean ÷ yardstick, ‰"] = round(rows[-1]["mean ms"] / rows[-1]["yardstick_s"], 2)
    print("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
