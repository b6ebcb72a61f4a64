"""Side-by-side recovery benchmark: ablatio's sparse methods vs shapiq 1.4.1.

One command (see docs/spex.md)::

    PYTHONPATH=src python benchmarks/recovery.py --quick
    PYTHONPATH=src python benchmarks/recovery.py --seeds 3 --n 64,256,1024,4096

For every synthetic game (AND, parity, hierarchical; noise sd 0 and 0.5), every n and seed,
each method gets the same budget of distinct ablations (noisy games: ``--noise-factor`` times the
noiseless budget). Reported per run: distinct ablations used, wall time of the fit (a warm-up
call on a small game comes first, so JIT compilation is excluded), the part of it not spent
inside the value function ("decode"), and R² on 1000 held-out uniform masks
(``ablatio.faithfulness``). Results: ``benchmarks/results/recovery.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import ablatio
from ablatio import Game, Interactions
from ablatio.games.synthetic import hierarchical_game, sparse_and_game, sparse_parity_game

GAMES = {"and": sparse_and_game, "parity": sparse_parity_game, "hier": hierarchical_game}
#: Noiseless budget per n (distinct ablations); noisy games get ``noise_factor`` times it.
DEFAULT_BUDGETS = {64: 1500, 256: 2000, 1024: 3000, 4096: 4000}
N_TERMS, MAX_ORDER, N_TEST = 20, 3, 1000
#: Seed offset of the held-out masks (independent of the fitting seed anyway).
TEST_SEED_OFFSET = 10_000


@dataclass
class Record:
    library: str
    method: str
    game: str
    noise_sd: float
    n: int
    seed: int
    budget: int
    n_queries: int = 0
    wall_s: float = float("nan")
    decode_s: float = float("nan")
    r2: float = float("nan")
    noise_ceiling: float = 1.0
    n_terms: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class TimedGame:
    """Counts distinct masks (through ablatio.Game) and the time spent in the value function."""

    def __init__(self, synthetic: Any) -> None:
        self.synthetic = synthetic
        self.eval_s = 0.0
        self.game = Game(self._call, n=synthetic.n_players)

    def _call(self, masks: np.ndarray) -> np.ndarray:
        start = time.perf_counter()
        out = self.synthetic(masks)
        self.eval_s += time.perf_counter() - start
        return out


def run_ablatio(name: str, synthetic: Any, budget: int, seed: int) -> tuple:
    timed = TimedGame(synthetic)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        expl = ablatio.explain(
            timed.game, method=name, budget=budget, max_order=MAX_ORDER, random_state=seed
        )
        wall = time.perf_counter() - start
    note = "; ".join(str(w.message).split(":")[0][:120] for w in caught)
    return expl.interactions, note, wall, wall - timed.eval_s, timed.game.n_queries


def run_shapiq(name: str, synthetic: Any, budget: int, seed: int):
    import shapiq

    timed = TimedGame(synthetic)
    n = synthetic.n_players
    # shapiq's SPEX draws its hashes from NumPy's global RNG; seed it for reproducibility.
    np.random.seed(seed)  # noqa: NPY002
    approx = getattr(shapiq, name)(n=n, index="FBII", max_order=MAX_ORDER, random_state=seed)
    captured: dict[tuple[int, ...], float] = {}
    original = approx._process_moebius

    def capture(moebius_transform):
        captured.update(moebius_transform)
        return original(moebius_transform=moebius_transform)

    approx._process_moebius = capture  # keep the full Möbius dict, not the truncated index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        approx.approximate(budget, lambda x: timed.game(np.asarray(x, dtype=bool)))
        wall = time.perf_counter() - start
    terms = list(captured)
    inter = Interactions(terms, [float(captured[k]) for k in terms], n_players=n)
    return inter, "", wall, wall - timed.eval_s, timed.game.n_queries


def make_game(kind: str, n: int, noise: float, seed: int):
    return GAMES[kind](n, N_TERMS, MAX_ORDER, noise_sd=noise, random_state=seed)


def warm_up(library: str, name: str, n: int, budget: int) -> None:
    game = sparse_parity_game(n, 2, 1, random_state=12345)
    try:
        (run_ablatio if library == "ablatio" else run_shapiq)(name, game, budget, 0)
    except Exception:  # noqa: BLE001 - a failing warm-up shows up again in the real run
        pass


def one_run(library, name, kind, n, noise, seed, budget) -> Record:
    game = make_game(kind, n, noise, seed)
    rec = Record(library, name, kind, noise, n, seed, budget, noise_ceiling=game.noise_ceiling())
    runner = run_ablatio if library == "ablatio" else run_shapiq
    try:
        inter, note, wall, decode, used = runner(name, game, budget, seed)
    except Exception as exc:  # noqa: BLE001 - recorded in the table
        rec.note = f"{type(exc).__name__}: {str(exc)[:160]}"
        return rec
    rec.n_queries, rec.wall_s, rec.decode_s, rec.note = used, wall, decode, note
    rec.n_terms = len(inter)
    rec.r2 = ablatio.faithfulness(inter, game, n_test=N_TEST, random_state=seed + TEST_SEED_OFFSET)
    return rec


def _mean(records: list[Record], attr: str) -> float:
    vals = [getattr(r, attr) for r in records]
    return float(np.mean(vals)) if vals else float("nan")


def markdown(records: list[Record], meta: dict[str, Any]) -> str:
    groups: dict[tuple, list[Record]] = {}
    for r in records:
        groups.setdefault((r.game, r.noise_sd, r.n, r.library, r.method), []).append(r)
    lines = [
        "# Recovery benchmark: ablatio vs shapiq 1.4.1",
        "",
        "`ablations` = distinct masks queried; `ceiling` = mean noise ceiling "
        "var(signal)/(var(signal)+sd²); `gap` = ceiling − mean R².",
        "",
        f"Command: `{meta['command']}`  ",
        f"Machine: {meta['machine']} — CPU shared with other jobs, so times are noisy; compare "
        "ratios within this run.  ",
        f"Games: {N_TERMS} terms of order <= {MAX_ORDER}; R² on {N_TEST} held-out uniform masks; "
        "time excludes a warm-up call; `decode` = wall time minus time inside the value function.",
        "",
        "| game | noise sd | n | library | method | seeds | budget | ablations | wall s "
        "| decode s | R² mean | R² min | ceiling | gap | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (game, noise, n, lib, method), rs in sorted(groups.items()):
        ok = [r for r in rs if np.isfinite(r.r2)]
        notes = "; ".join(sorted({r.note for r in rs if r.note}))[:140]

        r2_min = min((r.r2 for r in ok), default=float("nan"))
        lines.append(
            f"| {game} | {noise:g} | {n} | {lib} | {method} | {len(rs)} | {rs[0].budget} "
            f"| {_mean(ok, 'n_queries'):.0f} | {_mean(ok, 'wall_s'):.2f} "
            f"| {_mean(ok, 'decode_s'):.2f} "
            f"| {_mean(ok, 'r2'):.4f} | {r2_min:.4f} | {_mean(rs, 'noise_ceiling'):.4f} "
            f"| {_mean(rs, 'noise_ceiling') - _mean(ok, 'r2'):.4f} | {notes} |"
        )
    return "\n".join(lines) + "\n"


def parse_budgets(text: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in (item.split(":") for item in text.split(",") if item)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--methods", default="spex,proxyspex", help="ablatio registry names")
    p.add_argument("--shapiq", default="SPEX,ProxySPEX", help="shapiq approximators ('' = none)")
    p.add_argument("--games", default="and,parity,hier")
    p.add_argument("--noise", default="0,0.5", help="noise sds")
    p.add_argument("--n", default="64,256,1024,4096", help="numbers of players")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budgets", default="", help="noiseless budget per n, e.g. 64:1500,256:2000")
    p.add_argument("--noise-factor", type=float, default=2.0)
    p.add_argument("--shapiq-max-n", type=int, default=256, help="skip shapiq above this n")
    p.add_argument("--quick", action="store_true", help="n=64,256, AND+parity, 1 seed")
    p.add_argument("--out", default="benchmarks/results/recovery")
    p.add_argument(
        "--include", default="", help="JSON files of earlier runs whose records are merged in"
    )
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.games, args.seeds = "64,256", "and,parity", 1
    budgets = {**DEFAULT_BUDGETS, **parse_budgets(args.budgets)}
    methods = [m for m in args.methods.split(",") if m]
    skipped = [m for m in methods if m not in ablatio.METHODS]
    methods = [m for m in methods if m in ablatio.METHODS]
    shapiq_methods = [m for m in args.shapiq.split(",") if m]
    ns = [int(x) for x in args.n.split(",")]
    runs = [("ablatio", m) for m in methods] + [("shapiq", m) for m in shapiq_methods]
    for m in skipped:
        print(f"skipping ablatio method {m!r}: not registered in this checkout", file=sys.stderr)
    records: list[Record] = []
    for path in (x for x in args.include.split(",") if x):
        records += [Record(**r) for r in json.loads(Path(path).read_text())["records"]]
    for n in ns:
        for library, name in runs:
            if library == "shapiq" and n > args.shapiq_max_n:
                continue
            warm_up(library, name, n, budgets[n])
            for kind in args.games.split(","):
                for noise in (float(x) for x in args.noise.split(",")):
                    budget = int(budgets[n] * (args.noise_factor if noise > 0 else 1))
                    for seed in range(args.seeds):
                        rec = one_run(library, name, kind, n, noise, seed, budget)
                        records.append(rec)
                        print(
                            f"{library}:{name} {kind} sd={noise:g} n={n} seed={seed} "
                            f"q={rec.n_queries} wall={rec.wall_s:.2f}s decode={rec.decode_s:.2f}s "
                            f"R2={rec.r2:.4f} {rec.note}",
                            flush=True,
                        )
    meta = {
        "command": "python benchmarks/recovery.py " + " ".join(argv or sys.argv[1:]),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, python "
        f"{platform.python_version()}",
        "skipped_methods": skipped,
        "budgets": budgets,
        "included": args.include,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "records": [asdict(r) for r in records]}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(records, meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
