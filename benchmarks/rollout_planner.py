"""Benchmark: the rollout planner's finish date against its lower bound, and its speed.

Run:  .venv/bin/python benchmarks/rollout_planner.py [INSTANCES]     (default: 60 per size class)
Random, seeded instances of 3–20 apps × 7–60 departments: base weeks 2–12 per app × a department
factor 1.0–2.0, capacity 2–12, a few orders between apps, July and Christmas blackouts for every
department and school holidays for some. The ratio is (finish − start) ÷ (lower bound − start).
Targets: mean ratio ≤ 1.10; 20 apps × 60 departments planned in under 1 s (best of 3).
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from datetime import date, timedelta

from portfolio.rollout.planner import Blackout, CellRequest, PlanRequest, propose_plan

SEED = 14
SIZE_CLASSES = {  # label -> (apps range, departments range)
    "small  (3–7 apps × 7–20 afd.)": ((3, 7), (7, 20)),
    "medium (8–14 apps × 21–40 afd.)": ((8, 14), (21, 40)),
    "large  (15–20 apps × 41–60 afd.)": ((15, 20), (41, 60)),
}


def blackouts_for(years: range, school: bool) -> tuple[Blackout, ...]:
    periods: list[Blackout] = []
    for year in years:
        periods.append(Blackout("juli", date(year, 7, 1), date(year, 7, 31)))
        periods.append(Blackout("jul", date(year, 12, 22), date(year + 1, 1, 2)))
        if school:
            winter = date.fromisocalendar(year, 7, 1)
            autumn = date.fromisocalendar(year, 42, 1)
            periods.append(Blackout("vinterferie", winter, winter + timedelta(days=4)))
            periods.append(Blackout("efterårsferie", autumn, autumn + timedelta(days=4)))
    return tuple(periods)


def make_instance(rng: random.Random, apps: int, departments: int, capacity: int) -> PlanRequest:
    start = date(2026, 1, 5) + timedelta(weeks=rng.randrange(52))
    base = [rng.randint(2, 12) for _ in range(apps)]
    factor = [rng.uniform(1.0, 2.0) for _ in range(departments)]
    users = [rng.randint(20, 900) for _ in range(departments)]
    cells = tuple(
        CellRequest(
            app=f"App {a + 1}",
            department=f"Afdeling {d + 1}",
            weeks=math.ceil(base[a] * factor[d]),
            users=users[d],
        )
        for a in range(apps)
        for d in range(departments)
        if rng.random() < 0.9  # not every app is relevant in every department
    )
    ranking = rng.sample(range(apps), apps)  # orders follow one ranking: never a cycle
    order = set()
    for _ in range(rng.randint(1, max(1, apps // 3))):
        a, b = sorted(rng.sample(range(apps), 2), key=ranking.index)
        order.add((f"App {a + 1}", f"App {b + 1}"))
    total = sum(c.weeks for c in cells)
    years = range(start.year, start.year + math.ceil(total / capacity / 40) + 3)
    school = {f"Afdeling {d + 1}" for d in range(departments) if rng.random() < 0.3}
    blackouts = {
        f"Afdeling {d + 1}": blackouts_for(years, f"Afdeling {d + 1}" in school)
        for d in range(departments)
    }
    return PlanRequest(
        start=start, capacity=capacity, cells=cells, order=tuple(sorted(order)), blackouts=blackouts
    )


def ratio(request: PlanRequest) -> float:
    plan = propose_plan(request)
    assert plan.finish is not None and plan.lower_bound is not None  # noqa: S101
    return (plan.finish - request.start).days / (plan.lower_bound - request.start).days


def best_of(runs: int, request: PlanRequest) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        propose_plan(request)
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    per_class = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    rng = random.Random(SEED)
    everything: list[float] = []
    for label, ((a_lo, a_hi), (d_lo, d_hi)) in SIZE_CLASSES.items():
        ratios = [
            ratio(
                make_instance(
                    rng, rng.randint(a_lo, a_hi), rng.randint(d_lo, d_hi), rng.randint(2, 12)
                )
            )
            for _ in range(per_class)
        ]
        everything += ratios
        print(
            f"{label}: {per_class} instances, ratio mean {statistics.mean(ratios):.3f}"
            f"  max {max(ratios):.3f}"
        )
    mean = statistics.mean(everything)
    verdict = "meets" if mean <= 1.10 else "MISSES"
    print(
        f"overall: {len(everything)} instances, ratio mean {mean:.3f}  max {max(everything):.3f}"
        f" — {verdict} the 1.10 target"
    )
    for capacity in (2, 6, 12):
        request = make_instance(random.Random(SEED + capacity), 20, 60, capacity)
        seconds = best_of(3, request)
        verdict = "meets" if seconds < 1 else "MISSES"
        print(
            f"20 apps × 60 afd. ({len(request.cells)} cells), capacity {capacity}: "
            f"{seconds:.3f} s (best of 3), ratio {ratio(request):.3f} — {verdict} the 1 s target"
        )


if __name__ == "__main__":
    main()
