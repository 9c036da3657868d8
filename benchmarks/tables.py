"""Write the tables of ``benchmarks/README.md`` from ``benchmarks/results/*.json``.

Each table sits between ``<!-- table:NAME -->`` and ``<!-- /table:NAME -->``; everything between
the markers is replaced, everything else is left alone. Every results file names its
``benchmark``; :data:`PER_FILE` renders tables of one file (named ``<file stem><suffix>``) and
:data:`ACROSS` tables over all files of one benchmark. A file of a benchmark with no renderer is
ignored with a note, and so is a table that has no markers in the README.

    .venv/bin/python benchmarks/tables.py           # rewrite the README
    .venv/bin/python benchmarks/tables.py --check   # exit 1 if the README is out of date

Adding a table: write ``render(stem, data, results) -> str`` (``data``: the file's JSON;
``results``: every file's JSON by stem, for comparisons), list it in :data:`PER_FILE` (or a function of all
files of a benchmark in :data:`ACROSS`), and put the markers where the table goes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _bench as bench

README = bench.REPO / "benchmarks" / "README.md"
RESULTS = bench.REPO / "benchmarks" / "results"
MARKER = re.compile(r"<!-- table:(?P<name>[\w:.-]+) -->\n.*?<!-- /table:(?P=name) -->", re.S)

Results = dict[str, dict[str, Any]]
Render = Callable[[str, dict[str, Any], Results], str | None]
#: stages shown in the pipeline tables (``tokenize`` and ``figures`` run inside ``topic_model``)
SCALE_STAGES = ("preprocess", "embedding", "tokenize", "topic_model", "figures")


def source(stem: str, data: dict[str, Any]) -> str:
    """Return the line naming a table's results file, date, machine and load."""
    machine = data.get("machine_before") or data.get("machine") or {}
    after = data.get("machine_after", {}).get("load_avg")
    load = f"load average {machine.get('load_avg')}" + (f" before, {after} after" if after else "")
    return (
        f"_From `results/{stem}.json`: {machine.get('time', '?')}, {machine.get('cpu', '?')}, "
        f"{machine.get('cores', '?')} cores, {load}._"
    )


def overrides(data: dict[str, Any]) -> str:
    """Return the run's extra overrides as inline code, or 'default config'."""
    extra = data.get("args", {}).get("override") or []
    return " ".join(f"`{o}`" for o in extra) or "default config"


def pipeline_scale(stem: str, data: dict[str, Any], results: Results) -> str:
    """Runs of ``pipeline_scale.py``: time, memory, stage times, topics and NMI per size."""
    reference = {
        (r["n_lines"], r["cache"]): r.get("nmi")
        for r in results.get("pipeline_scale", {}).get("runs", [])
    }
    compare = stem != "pipeline_scale" and bool(reference)
    header = ["units", "cache", "wall s", "peak RSS MiB", "max RSS 1 proc MiB"]
    header += [f"{s} s" for s in SCALE_STAGES] + ["topics", "NMI"]
    header += ["NMI change vs default config"] if compare else []
    body = []
    for r in data["runs"]:
        cells = [bench.fmt(r.get("n_units"), "{:,.0f}"), r["cache"], bench.fmt(r["wall_s"])]
        cells += [bench.fmt(r[k], "{:.0f}") for k in ("peak_rss_mib", "max_rss_single_mib")]
        cells += [bench.fmt(r["stages"].get(s)) for s in SCALE_STAGES]
        cells += [bench.fmt(r.get("n_topics"), "{:.0f}"), bench.fmt(r.get("nmi"), "{:.3f}")]
        if compare:
            ref, nmi = reference.get((r["n_lines"], r["cache"])), r.get("nmi")
            cells.append(bench.fmt(None if ref is None or nmi is None else nmi - ref, "{:+.3f}"))
        body.append(cells)
    title = f"Overrides: {overrides(data)}."
    return "\n\n".join([source(stem, data), title, bench.markdown_table(header, body, 2)])


def pipeline_growth(stem: str, data: dict[str, Any], results: Results) -> str | None:
    """Exponents b of time ≈ a·n^b between consecutive sizes, per cache kind and stage.

    ``None`` (no table) when no cache kind was run at two sizes or more.
    """
    kinds = data.get("growth", {})
    if not kinds:
        return None
    header, columns = ["quantity"], []
    for kind, grown in kinds.items():
        sizes = grown["sizes_units"]
        for i in range(len(sizes) - 1):
            header.append(f"{kind} b {sizes[i]:,.0f}→{sizes[i + 1]:,.0f}")
            columns.append((kind, i))
    quantities = list(next(iter(kinds.values()))["quantities"])
    body = [
        [q] + [bench.fmt(kinds[k]["quantities"][q]["exponents"][i], "{:.2f}") for k, i in columns]
        for q in quantities
    ]
    return source(stem, data) + "\n\n" + bench.markdown_table(header, body)


def sweep_cost(files: Results) -> str:
    """One row per ``sweep_cost.py`` result: cold and warm sweep against one run."""
    header = ["corpus", "overrides", "cold run s", "sweep, cold s", "ratio"]
    header += ["single run (warm) s", "sweep (warm) s", "ratio", "target ≤ 1.5 (warm)"]
    body, sources = [], []
    for stem, data in files.items():
        s, units = data["summary"], data["runs"]["single"].get("n_units")
        cells = [f"{data['args']['corpus']} ({bench.fmt(units, '{:,.0f}')} units)"]
        cells += [overrides(data), bench.fmt(s["cold_wall_s"]), bench.fmt(s["sweep_cold_wall_s"])]
        cells += [bench.fmt(s["ratio_cold_sweep_to_cold_single"], "{:.2f}")]
        cells += [bench.fmt(s["single_wall_s"]), bench.fmt(s["sweep_wall_s"])]
        cells += [bench.fmt(s["ratio_sweep_to_single"], "{:.2f}")]
        body.append([*cells, "met" if s["target_met"] else "missed"])
        sources.append(source(stem, data))
    return "\n".join(sources) + "\n\n" + bench.markdown_table(header, body, left=2)


def onnx_memory(stem: str, data: dict[str, Any], results: Results) -> str:
    """Peak RSS of the ONNX runtime alone and with torch / sentence-transformers imported."""
    base = data["rows"][0]["peak_rss_mib"]
    header = ["process", "peak RSS MiB (median)", "runs MiB", "more than onnxruntime only", "torch"]
    body = [
        [
            r["variant"],
            bench.fmt(r["peak_rss_mib"], "{:.0f}"),
            ", ".join(f"{v:.0f}" for v in r["runs_mib"]),
            bench.fmt(r["peak_rss_mib"] - base, "{:+.0f}"),
            "imported" if r["torch_imported"] else "not imported",
        ]
        for r in data["rows"]
    ]
    what = (
        f"{data['model']} ONNX export (quantize={data['quantize']}), {data['n_texts']} texts "
        f"({data['texts']}), {data['threads']} thread."
    )
    return "\n\n".join([source(stem, data), what, bench.markdown_table(header, body)])


def embedding_throughput(stem: str, data: dict[str, Any], results: Results) -> str:
    """The comparison table ``embedding_throughput.py`` prints, from its saved rows."""
    from embedding_throughput import table

    return "\n\n".join([source(stem, data), data["settings"], table(data["rows"])])


#: benchmark -> {table-name suffix: renderer of one results file}
PER_FILE: dict[str, dict[str, Render]] = {
    "pipeline_scale": {"": pipeline_scale, ":growth": pipeline_growth},
    "onnx_memory": {"": onnx_memory},
    "embedding_throughput": {"": embedding_throughput},
}
#: table name -> (benchmark, renderer of all its results files, by stem)
ACROSS: dict[str, tuple[str, Callable[[Results], str]]] = {
    "sweep_cost": ("sweep_cost", sweep_cost),
}


def load_results(folder: Path = RESULTS) -> tuple[Results, list[str]]:
    """Return every results file's JSON by stem, and notes on the files that have no tables."""
    results, notes = {}, []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = data.get("benchmark") if isinstance(data, dict) else None
        if kind in PER_FILE or kind in {b for b, _ in ACROSS.values()}:
            results[path.stem] = data
        else:
            notes.append(f"ignored {path.name}: no table for benchmark {kind!r} in tables.py")
    return results, notes


def render_all(results: Results) -> dict[str, str]:
    """Return every table by name."""
    tables = {}
    for stem, data in results.items():
        for suffix, render in PER_FILE.get(data["benchmark"], {}).items():
            if (table := render(stem, data, results)) is not None:
                tables[stem + suffix] = table
    for name, (kind, render) in ACROSS.items():
        files = {s: d for s, d in results.items() if d["benchmark"] == kind}
        if files:
            tables[name] = render(files)
    return tables


def rewrite(text: str, tables: dict[str, str]) -> tuple[str, list[str]]:
    """Return ``text`` with every marked table replaced, and notes on tables left out.

    Raises:
        SystemExit: A marker names a table that no results file gives.
    """
    found = {m["name"] for m in MARKER.finditer(text)}
    if missing := sorted(found - set(tables)):
        sys.exit(
            f"{README}: no results for table(s) {missing}; run the benchmark or drop the markers"
        )
    notes = [
        f"not in the README: table {n!r} (add its markers)" for n in sorted(set(tables) - found)
    ]

    def block(match: re.Match[str]) -> str:
        name = match["name"]
        return f"<!-- table:{name} -->\n{tables[name]}\n<!-- /table:{name} -->"

    return MARKER.sub(block, text), notes


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, verify) the README tables; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    args = parser.parse_args(argv)
    results, notes = load_results()
    old = README.read_text(encoding="utf-8")
    new, more = rewrite(old, render_all(results))
    for note in notes + more:
        print(f"[note] {note}", file=sys.stderr)
    if args.check:
        if new != old:
            print(f"{README} is out of date; run: python benchmarks/tables.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        README.write_text(new, encoding="utf-8")
        print(f"rewrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
