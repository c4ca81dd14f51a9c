"""The README's quickstart figures are the ones `benchmarks/quickstart_table.py` measured, for the config as it is."""

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("quickstart_table", REPO / "benchmarks" / "quickstart_table.py")
quickstart_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(quickstart_table)


def figures() -> dict:
    return json.loads(quickstart_table.FIGURES.read_text())


def test_readme_block_is_rendered_from_the_figures_file():
    assert quickstart_table.readme_block() == quickstart_table.render(figures())


def test_figures_were_measured_with_the_current_quickstart_config():
    assert figures()["config_sha256"] == quickstart_table.config_digest(), (
        "configs/quickstart.yaml changed since the README's figures were measured: "
        "run python benchmarks/quickstart_table.py")


def test_every_seed_meets_the_promised_bar():
    runs = figures()["runs"]
    assert sorted(r["seed"] for r in runs) == [0, 1, 2]
    for run in runs:
        assert quickstart_table.meets_bar(run), (run["seed"], run["end"])


def test_the_bar_counts_comparisons_apart():
    run = {"end": {"K.CC.C.7": 0.9, "K.OA.A.5": 0.85, "1.OA.A.1": 0.5, "X": 0.8}, "comparisons": ["K.CC.C.7"]}
    assert quickstart_table.well_learned(run) == ["K.CC.C.7", "K.OA.A.5", "X"]
    assert quickstart_table.meets_bar(run)
    run["comparisons"] = ["K.CC.C.7", "K.OA.A.5", "X"]
    assert not quickstart_table.meets_bar(run)
    run["end"]["X"] = 0.79
    run["comparisons"] = []
    assert not quickstart_table.meets_bar(run)
