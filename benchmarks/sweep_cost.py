"""Cost of a six-config clustering sweep in ONE multirun against ONE single run.

Same corpus, same settings, same (warm) embedding cache for both: first an untimed-for-the-
ratio warm-up run fills a fresh ``TOPICS_CACHE_DIR`` (reported as 'cold'), then (a) one single
run with the default clustering and (b) one ``topics-run -m`` over the six points of
:data:`SWEEPS` are timed, each as a subprocess (wall time, peak RSS, per-job ``time/total_s``
from the children of the sweep's MLflow parent run). Target: sweep wall / single wall <= 1.5.

    .venv/bin/python benchmarks/sweep_cost.py [--corpus seeds|thucnews] [--size 10000]
        [--override KEY=VALUE ...] [--out PATH] [--keep]

The six points are written as a temporary Hydra config group (``bench_sweep``, added with
``hydra.searchpath``), so each job names its own clustering and parameters. ``--corpus
thucnews`` (the first ``--size`` lines of THUCNews train + dev) is skipped (exit 0) when
``../shared/data`` (or ``$TOPICS_SHARED_DATA``) is absent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import _bench as bench

GROUP = "bench_sweep"
TARGET_RATIO = 1.5
#: The six sweep points per corpus: name -> (clustering config, overrides). Seeds: 113
#: paragraphs, default HDBSCAN min_cluster_size 5. THUCNews: 10 classes, default 40.
SWEEPS: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    "seeds": {
        "hdbscan_mcs3": ("hdbscan", {"topic_model.min_cluster_size": 3}),
        "hdbscan_mcs10": ("hdbscan", {"topic_model.min_cluster_size": 10}),
        "kmeans_k5": ("kmeans", {"topic_model.clustering.n_clusters": 5}),
        "kmeans_k10": ("kmeans", {"topic_model.clustering.n_clusters": 10}),
        "agglomerative_k5": ("agglomerative", {"topic_model.clustering.n_clusters": 5}),
        "agglomerative_k10": ("agglomerative", {"topic_model.clustering.n_clusters": 10}),
    },
    "thucnews": {
        "hdbscan_mcs20": ("hdbscan", {"topic_model.min_cluster_size": 20}),
        "hdbscan_mcs80": ("hdbscan", {"topic_model.min_cluster_size": 80}),
        "kmeans_k10": ("kmeans", {"topic_model.clustering.n_clusters": 10}),
        "kmeans_k30": ("kmeans", {"topic_model.clustering.n_clusters": 30}),
        "agglomerative_k10": ("agglomerative", {"topic_model.clustering.n_clusters": 10}),
        "agglomerative_k30": ("agglomerative", {"topic_model.clustering.n_clusters": 30}),
    },
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=sorted(SWEEPS), default="seeds")
    parser.add_argument("--size", type=int, default=10000, help="THUCNews lines (train + dev)")
    bench.add_common_args(parser, "sweep_cost.json")
    parser.add_argument(
        "--points", help="comma-separated subset of the sweep points (quick checks); default all"
    )
    return parser.parse_args(argv)


def chosen_points(args: argparse.Namespace) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return the sweep points of ``--corpus``, restricted to ``--points`` when given."""
    points = SWEEPS[args.corpus]
    if not args.points:
        return points
    names = [n.strip() for n in args.points.split(",") if n.strip()]
    unknown = sorted(set(names) - set(points))
    if unknown:
        sys.exit(f"--points: unknown {unknown}; choose from {list(points)}")
    return {n: points[n] for n in names}


def nested(dotted: dict[str, Any]) -> dict[str, Any]:
    """Turn ``{"a.b": 1}`` into ``{"a": {"b": 1}}``."""
    out: dict[str, Any] = {}
    for key, value in dotted.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def write_sweep_group(points: dict[str, tuple[str, dict[str, Any]]], conf: Path) -> None:
    """Write one global config per point into ``conf/<GROUP>/`` (JSON is valid YAML)."""
    folder = conf / GROUP
    folder.mkdir(parents=True)
    for name, (clustering, values) in points.items():
        body = {"defaults": [{"override /topic_model/clustering": clustering}], **nested(values)}
        text = "# @package _global_\n" + json.dumps(body, indent=1) + "\n"
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def base_overrides(args: argparse.Namespace, tmp: Path) -> list[str]:
    """Return the overrides shared by every run: the corpus, then ``--override``."""
    if args.corpus == "seeds":
        return list(args.override)
    lines = bench.thucnews_lines(bench.thucnews_or_skip())
    data = bench.write_subset(lines, args.size, tmp)
    return ["experiment=thucnews_topics", f"data.path={data}", *args.override]


def measure(label: str, overrides: list[str], root: Path, cache: Path, multirun: bool) -> dict:
    """Run and measure one ``topics-run``; return its row with the MLflow runs attached."""
    print(f"[run] {label} ...", file=sys.stderr, flush=True)
    measured = bench.run_measured(overrides, root, cache, multirun=multirun)
    measured.mlflow = bench.read_mlflow_runs(root)
    print(f"[run] {label}: {measured.wall_s:.1f} s, exit {measured.returncode}", file=sys.stderr)
    if measured.returncode != 0:
        print(bench.log_tail(measured.log), file=sys.stderr)
    row = {"label": label, **measured.as_dict()}
    jobs = [r for r in measured.mlflow if not r["is_sweep"]]
    if not multirun and jobs:
        row.update(bench.job_summary(jobs[-1]["metrics"]))
    return row


def sweep_jobs(row: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """Return the sweep's child runs in job order, each named by its sweep point."""
    parents = {r["run_id"] for r in row["mlflow"] if r["is_sweep"]}
    jobs = []
    for run in row["mlflow"]:
        if run["parent_run_id"] not in parents:
            continue
        num = Path(run["job_dir"] or "-1").name
        index = int(num) if num.isdigit() else -1
        point = names[index] if 0 <= index < len(names) else "?"
        jobs.append({"job": index, "point": point, "status": run["status"]})
        jobs[-1].update(bench.job_summary(run["metrics"]))
    return sorted(jobs, key=lambda j: j["job"])


def report(rows: dict[str, dict[str, Any]], jobs: list[dict[str, Any]], points: dict) -> dict:
    """Print the summary and the per-job table; return the summary numbers."""
    single, sweep = rows["single"]["wall_s"], rows["sweep"]["wall_s"]
    job_total = sum(j["stages"].get("total") or 0.0 for j in jobs)
    summary = {
        "cold_wall_s": rows["cold"]["wall_s"],
        "single_wall_s": single,
        "sweep_wall_s": sweep,
        "ratio_sweep_to_single": sweep / single,
        "n_jobs": len(points),
        "ratio_sweep_to_n_singles": sweep / (len(points) * single),
        "sum_job_total_s": job_total,
        "sweep_overhead_s": sweep - job_total,
        "target_ratio": TARGET_RATIO,
        "target_met": sweep / single <= TARGET_RATIO,
        "sweep_cold_wall_s": rows["sweep_cold"]["wall_s"],
        "ratio_cold_sweep_to_cold_single": rows["sweep_cold"]["wall_s"] / rows["cold"]["wall_s"],
    }
    header = ["run", "wall s", "peak RSS MiB", "max RSS 1 proc MiB", "total s", "exit"]
    body = [
        [
            name,
            bench.fmt(r["wall_s"]),
            bench.fmt(r["peak_rss_mib"], "{:.0f}"),
            bench.fmt(r["max_rss_single_mib"], "{:.0f}"),
            bench.fmt(r.get("stages", {}).get("total") if name != "sweep" else job_total),
            str(r["returncode"]),
        ]
        for name, r in rows.items()
    ]
    print(bench.markdown_table(header, body))
    verdict = "met" if summary["target_met"] else "NOT met"
    print(
        f"\nsingle-run wall {single:.1f} s; {len(points)}-job sweep wall {sweep:.1f} s; ratio "
        f"sweep/single {summary['ratio_sweep_to_single']:.2f} (target <= {TARGET_RATIO}: "
        f"{verdict}); sweep / ({len(points)} x single) {summary['ratio_sweep_to_n_singles']:.2f}; "
        f"sweep wall minus the jobs' time/total_s: {summary['sweep_overhead_s']:.1f} s; "
        f"cold: sweep {summary['sweep_cold_wall_s']:.1f} s vs one run "
        f"{rows['cold']['wall_s']:.1f} s, ratio {summary['ratio_cold_sweep_to_cold_single']:.2f}\n"
    )
    header = ["job", "point", "clustering", "settings", "total s", "topic_model s", "topics"]
    header += ["NMI", "status"]
    body = []
    for j in jobs:
        clustering, values = points.get(j["point"], ("?", {}))
        settings = " ".join(f"{k.split('.')[-1]}={v}" for k, v in values.items())
        times = j["stages"]
        cells = [str(j["job"]), j["point"], clustering, settings, bench.fmt(times.get("total"))]
        cells += [bench.fmt(times.get("topic_model")), bench.fmt(j["n_topics"], "{:.0f}")]
        body.append([*cells, bench.fmt(j["nmi"], "{:.3f}"), j["status"]])
    print(bench.markdown_table(header, body, left=4))
    return summary


def main(argv: list[str] | None = None) -> None:
    """Warm the cache, time one single run and one six-job multirun, print and save."""
    args = parse_args(argv)
    points = chosen_points(args)
    before = bench.machine()
    tmp = Path(tempfile.mkdtemp(prefix="sweep-cost-"))
    try:
        base = base_overrides(args, tmp)
        write_sweep_group(points, tmp / "conf")
        sweep_args = [f"hydra.searchpath=[file://{tmp / 'conf'}]", f"+{GROUP}={','.join(points)}"]
        print(f"sweep points ({args.corpus}):", file=sys.stderr)
        for name, (clustering, values) in points.items():
            print(f"  {name}: topic_model/clustering={clustering} {values}", file=sys.stderr)
        cache = tmp / "cache"
        rows = {
            "cold": measure("cold (cache warm-up)", base, tmp / "cold", cache, False),
            "single": measure("single (warm cache)", base, tmp / "single", cache, False),
            "sweep": measure(
                "sweep (warm cache)", [*base, *sweep_args], tmp / "sweep", cache, True
            ),
            # what a first-time user sees: the same sweep on an empty cache, vs the cold run
            "sweep_cold": measure(
                "sweep (cold cache)", [*base, *sweep_args], tmp / "sweep_cold", tmp / "cache2", True
            ),
        }
    finally:
        if args.keep:
            print(f"[keep] temp folder: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    after = bench.machine()
    jobs = sweep_jobs(rows["sweep"], list(points))
    print(
        f"\ntopics-run on the {args.corpus} corpus"
        f"{f' ({args.size} lines)' if args.corpus == 'thucnews' else ''} "
        f"{' '.join(args.override)} on {before['cpu']}, {before['cores']} cores; load average "
        f"before {before['load_avg']}, after {after['load_avg']}. Peak RSS: psutil samples "
        "(0.2 s) of the summed RSS of the process tree; max RSS 1 proc: ru_maxrss (wait4).\n"
    )
    summary = report(rows, jobs, points)
    payload = {
        "benchmark": "sweep_cost",
        "machine_before": before,
        "machine_after": after,
        "args": {**vars(args), "out": str(args.out)},
        "sweep_points": {k: {"clustering": c, **v} for k, (c, v) in points.items()},
        "summary": summary,
        "runs": rows,
        "jobs": jobs,
    }
    bench.write_json(args.out, payload)


if __name__ == "__main__":
    main()
