"""Run the quickstart for several seeds and write the README's quickstart figures from that run.

    python benchmarks/quickstart_table.py                # run seeds 0, 1 and 2, then write README.md
    python benchmarks/quickstart_table.py --render-only  # write README.md again from benchmarks/quickstart.json

Each seed is a fresh `python -m trainers.fit --config configs/quickstart.yaml --seed_everything S` (a newcomer's
first run: the scratch model and tokenizer are built anew) under `runs/quickstart-table/seed-S`, timed as a
whole process, then `python -m probes.analyze` on it. The figures go to `benchmarks/quickstart.json`, and the
block between the README's `quickstart-table` markers is rendered from that file alone; a test checks that the
README and the file agree and that the file was measured with the config as it is now, so neither can drift.
Run it on an idle machine: it times the runs one after another (about 5 minutes each on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "quickstart.yaml"
FIGURES = REPO / "benchmarks" / "quickstart.json"
README = REPO / "README.md"
BEGIN = "<!-- quickstart-table: begin (written by benchmarks/quickstart_table.py from benchmarks/quickstart.json) -->"
END = "<!-- quickstart-table: end -->"
BAR = 0.8  # the accuracy a standard must reach at the end to count as learned well
RELATIONS = {"<", ">", "="}


def config_digest(path: Path = CONFIG) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def seed_config(seed: int, root: Path) -> dict:
    """The quickstart config with this seed and every output under `root`."""
    config = yaml.safe_load(CONFIG.read_text())
    config["seed_everything"] = seed
    config["trainer"]["default_root_dir"] = str(root)
    for logger in config["trainer"]["logger"]:
        logger["init_args"]["save_dir"] = str(root)
    config["model"]["model"] = str(root / "scratch-model")
    return config


def run_seed(seed: int, root: Path) -> dict:
    """One fresh quickstart run and its analysis, as the figures the README shows."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    config = root / "quickstart.yaml"
    config.write_text(yaml.safe_dump(seed_config(seed, root), sort_keys=False))
    env = os.environ | {"COLUMNS": "110"}  # the width rich draws the table at, as in a normal terminal
    start = time.perf_counter()
    fit = subprocess.run([sys.executable, "-m", "trainers.fit", "--config", str(config)], cwd=REPO, env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    if fit.returncode:
        raise SystemExit(f"seed {seed}: trainers.fit exited with {fit.returncode}:\n{fit.stderr[-3000:]}")
    analyze = subprocess.run([sys.executable, "-m", "probes.analyze", str(root)], cwd=REPO, env=env,
                             capture_output=True, text=True)
    if analyze.returncode:
        raise SystemExit(f"seed {seed}: probes.analyze exited with {analyze.returncode}:\n{analyze.stderr[-3000:]}")
    return collect(seed, root, wall, fit.stdout)


def collect(seed: int, root: Path, wall: float, stdout: str) -> dict:
    """The figures of a finished, analysed run under `root`, given its wall time and what it printed."""
    run_dir = next(root.glob("version_*"))
    summary = json.loads((run_dir / "mathcamps" / "summary.json").read_text())
    probes = [json.loads(line) for line in (run_dir / "mathcamps" / "probes.jsonl").read_text().splitlines()]
    problems = [json.loads(line) for line in (run_dir / "mathcamps" / "problems.jsonl").read_text().splitlines()]
    analysis = json.loads((root / "analysis.json").read_text())
    originals = [p for p in problems if p["type"] == "original-problem"]
    comparisons = sorted({p["standard"] for p in originals} - {p["standard"] for p in originals
                                                               if p["answer"] not in RELATIONS})
    lines = stdout.splitlines()
    table_start = next(i for i, line in enumerate(lines) if "MathCAMPS probe:" in line)
    table_end = next(i for i, line in enumerate(lines) if line.startswith("probing took"))
    return {
        "seed": seed,
        "wall_s": round(wall, 1),
        "fit_s": summary["fit_seconds"],
        "probe_s": summary["probe_seconds"],  # unrounded, so the README rounds it as the table does
        "end": {r["standard"]: r["end"] for r in summary["standards"]},
        "learned_at_step": {r["standard"]: r["learned_at_step"] for r in summary["standards"]},
        "comparisons": comparisons,
        "format": [[p["step"], p["overall_format"]] for p in probes],
        "overall": [[p["step"], p["overall"]] for p in probes],
        "strict_differs_at": [p["step"] for p in probes if p["overall_strict"] != p["overall"]],
        "acquisition": analysis["acquisition"],
        "grade_correlation": analysis["grade_correlation"],
        "table": "\n".join(lines[table_start : table_end + 1]),
    }


def well_learned(run: dict) -> list[str]:
    return [s for s, acc in run["end"].items() if acc >= BAR]


def meets_bar(run: dict) -> bool:
    """At least 3 standards at >= 80% at the end, one of them not a comparison."""
    good = well_learned(run)
    return len(good) >= 3 and any(s not in run["comparisons"] for s in good)


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=112, break_on_hyphens=False)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def render(figures: dict) -> str:
    """The README block, from the figures file alone."""
    runs = figures["runs"]
    standards = list(runs[0]["end"])
    first = runs[0]
    lines = [BEGIN, "",
             *_wrap(f"Measured at commit `{figures['commit']}` on {figures['machine']}, each seed a fresh run "
                    f"(`seed_everything`; the scratch model's initial weights follow it):"), "",
             "| seed | wall | " + " | ".join(standards) + f" | at >= {BAR:.0%} | grade vs step (Spearman) |",
             "| ---: | ---: | " + " | ".join("---:" for _ in standards) + " | ---: | ---: |"]
    for run in runs:
        rho = run["grade_correlation"]
        corr = "n/a" if rho["rho"] is None else f"{rho['rho']:+.2f} (p = {rho['p_value']:.3f}, n = {rho['n']})"
        lines.append(f"| {run['seed']} | {run['wall_s']:.0f} s | "
                     + " | ".join(_pct(run["end"][s]) for s in standards)
                     + f" | {len(well_learned(run))}{'' if meets_bar(run) else ' (below the bar)'} | {corr} |")
    format_at = next((step, share) for step, share in first["format"] if step > 0)
    lines += ["", *_wrap(f"The table that seed {first['seed']} prints at the end ({first['wall_s']:.0f} s wall, "
                         f"{first['fit_s']:.0f} s of training, {first['probe_s']:.0f} s of it probing):"),
              "", "```", first["table"], "```", ""]
    strict = first["strict_differs_at"]
    lines += _wrap(
        f"The format column is the share of responses that mark their answer with `### Answer:`. Seed "
        f"{first['seed']} has the format by its first checkpoint ({_pct(format_at[1])} at step {format_at[0]}) "
        f"while overall accuracy climbs from {_pct(first['overall'][0][1])} to {_pct(first['overall'][-1][1])}, "
        + ("and strict and flexible grading agree at every probe" if not strict else
           f"and strict and flexible grading differ at {len(strict)} of {len(first['overall'])} probes")
        + ": its gains are not format. The step from which each standard stays above 50% ("
        + ", ".join(f"{s} {'never' if step is None else step}" for s, step in first["acquisition"].items())
        + ") is what `python -m probes.analyze` correlates with grade.")
    lines += ["", END]
    return "\n".join(lines)


def write_readme(figures: dict, readme: Path = README) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme} has no quickstart-table markers ({BEGIN!r} ... {END!r})")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + render(figures) + tail)


def readme_block(readme: Path = README) -> str:
    text = readme.read_text()
    return BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--render-only", action="store_true", help="write the README from the figures file")
    args = parser.parse_args()
    if not args.render_only:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                                    capture_output=True, text=True).stdout.strip())
        runs = []
        for seed in args.seeds:
            runs.append(run_seed(seed, REPO / "runs" / "quickstart-table" / f"seed-{seed}"))
            run = runs[-1]
            print(f"seed {seed}: {run['wall_s']:.0f} s wall; end " + ", ".join(
                f"{s} {_pct(a)}" for s, a in run["end"].items()) + f"; {len(well_learned(run))} at >= {BAR:.0%}"
                  f" ({'meets' if meets_bar(run) else 'misses'} the bar)", flush=True)
        machine = f"{os.cpu_count()} CPU cores"
        figures = {"commit": commit + ("+changes" if dirty else ""), "config_sha256": config_digest(),
                   "machine": machine, "runs": runs}
        with tempfile.NamedTemporaryFile("w", dir=FIGURES.parent, delete=False) as f:
            json.dump(figures, f, indent=1)
        Path(f.name).replace(FIGURES)
    write_readme(json.loads(FIGURES.read_text()))
    print(f"wrote {FIGURES.relative_to(REPO)} and the quickstart block of {README.relative_to(REPO)}")


if __name__ == "__main__":
    main()
