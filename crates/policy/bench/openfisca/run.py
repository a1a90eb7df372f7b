"""Runs the OpenFisca model of eight Suzhou clause groups over the benchmark's CSV and prints
timings and the total amount as JSON. Called by crates/policy/examples/policy_bench.rs:

    python run.py --csv companies.csv [--runs 7] [--single-runs 200]
"""

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from openfisca_core.simulations import SimulationBuilder

sys.path.insert(0, str(Path(__file__).parent))
from suzhou_model import CODES, COUNTS, FLAGS, GROUPS, MONEY, SuzhouBiomedicine, code  # noqa: E402

PERIOD = "2020"


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    columns = {}
    for name in MONEY + COUNTS:
        columns[name] = np.array([int(r[name]) for r in rows], dtype=np.int32)
    for name in CODES:
        columns[name] = np.array([code(name, r[name]) for r in rows], dtype=np.int32)
    for name in FLAGS:
        columns[name] = np.array([r[name] == "true" for r in rows], dtype=bool)
    return len(rows), columns


def simulation(system, count, columns, rows=slice(None)):
    sim = SimulationBuilder().build_default_simulation(system, count)
    for name, values in columns.items():
        sim.set_input(name, PERIOD, values[rows])
    return sim


def calculate(sim):
    return sum(int(sim.calculate(g, PERIOD).astype(np.int64).sum()) for g in GROUPS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--single-runs", type=int, default=200)
    args = ap.parse_args()
    system = SuzhouBiomedicine()
    n, columns = read(args.csv)

    calc_ms, full_ms, total = [], [], None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        sim = simulation(system, n, columns)
        t1 = time.perf_counter()
        t = calculate(sim)
        t2 = time.perf_counter()
        calc_ms.append((t2 - t1) * 1e3)
        full_ms.append((t2 - t0) * 1e3)
        total = t if total is None else total
        assert t == total

    one_calc, one_full = [], []
    for i in range(args.single_runs):
        row = slice(i % n, i % n + 1)
        t0 = time.perf_counter()
        sim = simulation(system, 1, columns, row)
        t1 = time.perf_counter()
        calculate(sim)
        t2 = time.perf_counter()
        one_calc.append((t2 - t1) * 1e3)
        one_full.append((t2 - t0) * 1e3)

    def p99(xs):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

    from importlib.metadata import version
    print(json.dumps({
        "openfisca_core": version("OpenFisca-Core"),
        "numpy": np.__version__,
        "companies": n,
        "total_yuan": total,
        "batch_calculate_ms_median": statistics.median(calc_ms),
        "batch_calculate_ms_best": min(calc_ms),
        "batch_with_setup_ms_median": statistics.median(full_ms),
        "one_company_calculate_ms_median": statistics.median(one_calc),
        "one_company_calculate_ms_p99": p99(one_calc),
        "one_company_with_setup_ms_median": statistics.median(one_full),
    }))


if __name__ == "__main__":
    main()
