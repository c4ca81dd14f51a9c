"""The report: four PNG figures, one self-contained HTML page holding all of them, and the same on W&B.

Rendering check (documented; also run by `test_html_renders_in_headless_chromium` when chromium is installed):
    apt-get install -y chromium
    chromium --headless --no-sandbox --disable-gpu --window-size=1200,4000 --screenshot=shot.png file://$PWD/report.html
"""

import base64
import json
import re
import shutil
import subprocess

import matplotlib.image
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.container import BarContainer

from probes.analysis import load_series
from probes.figures import FIGURES, fig_acquisition, fig_changes, fig_curves
from probes.metrics import wilson
from probes.report import main
from probes.study import analyse, change_interval
from tests import wandb_reader
from tests.probes.test_analysis import CURVES, EXPECTED_AT_HALF, PER_STANDARD, STEPS, outcome_row, write_eval, write_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    run = write_run(root / "run", CURVES)
    page = main(run, out=root / "out", wandb_run="reporttest", wandb_mode="offline")
    return root, page


def test_every_figure_is_a_png_and_is_inlined_in_the_html(report):
    root, page = report
    text = page.read_text()
    inlined = re.findall(r"<figure id='fig-(\w+)'><img alt='[^']*' src='data:image/png;base64,([^']+)'>", text)
    assert [name for name, _ in inlined] == list(FIGURES)
    for name, data in inlined:
        png = (root / "out" / f"{name}.png").read_bytes()
        assert png.startswith(PNG_MAGIC)
        assert base64.b64decode(data) == png, f"{name}: the inlined image is the PNG file"
        pixels = matplotlib.image.imread(root / "out" / f"{name}.png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100 and np.ptp(pixels) > 0  # not blank
    assert "src='http" not in text and "<link" not in text and "<script" not in text  # self-contained


def test_html_tables_hold_the_known_answers(report):
    _, page = report
    text = page.read_text()
    # Acquisition table rows, e.g. K.OA.A.5 (dips below at 300) acquired at 400; 2.NBT.B.7 never.
    assert "<td>K.OA.A.5</td><td>K</td><td>0%</td><td>80%</td><td>400</td>" in text
    assert "<td>2.NBT.B.7</td><td>2</td><td>0%</td><td>30%</td><td>not acquired</td>" in text
    assert "Spearman rho = +0.711" in text  # 27/38
    assert "<b>Improved:</b> K.CC.C.7, K.OA.A.5, 1.OA.A.1, 2.NBT.B.5, 3.OA.C.7" in text
    assert "<b>Regressed:</b> none" in text
    assert "<h3>By grade</h3>" in text


def test_the_same_curves_figures_and_tables_go_to_wandb(report):
    root, _ = report
    (run_dir,) = (root / "out" / "wandb").glob("offline-run-*-reporttest")
    metrics = [r.metric for r in wandb_reader.records(run_dir) if r.WhichOneof("record_type") == "metric"]
    assert any(m.glob_name == "*" and m.step_metric == "checkpoint/step" for m in metrics)
    history = wandb_reader.history(run_dir)
    curve_rows = [r for r in history if "mathcamps/acc/K.CC.C.7" in r]
    assert [r["checkpoint/step"] for r in curve_rows] == STEPS
    assert [r["mathcamps/acc/K.OA.A.5"] for r in curve_rows] == pytest.approx(CURVES["K.OA.A.5"])
    (figures,) = [r for r in history if "report/curves/_type" in r]
    for name in FIGURES:
        assert figures[f"report/{name}/_type"] == "image-file"
        logged = run_dir / "files" / figures[f"report/{name}/path"]
        assert logged.read_bytes() == (root / "out" / f"{name}.png").read_bytes()
    assert figures["report/acquisition_table/_type"] == "table-file"
    assert figures["report/acquisition_table/nrows"] == len(CURVES)
    table = json.loads((run_dir / "files" / figures["report/acquisition_table/path"]).read_text())
    assert ["K.OA.A.5", "K", "0%", "80%", "400"] in table["data"]
    assert figures["report/changes_table/nrows"] == len(CURVES)
    summary = wandb_reader.summary(run_dir)
    assert summary["report/grade_spearman_rho"] == pytest.approx(27 / 38)
    assert summary["report/regressed"] == []


def test_two_dirs_compare_in_one_report(tmp_path):
    base = write_eval(tmp_path / "base", {"K.CC.C.7": [True] * 12, "1.OA.A.1": [False] * 12})
    tuned = write_eval(tmp_path / "tuned", {"K.CC.C.7": [False] * 12, "1.OA.A.1": [True] * 12})
    text = main(base, against=tuned).read_text()
    assert "<b>Improved:</b> 1.OA.A.1" in text and "<b>Regressed:</b> K.CC.C.7" in text
    assert "<tr class='loss'><td>K.CC.C.7</td>" in text
    assert len(re.findall(r"data:image/png;base64,", text)) == len(FIGURES)


def test_html_renders_in_headless_chromium(report, tmp_path):
    browser = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
                   None)
    if browser is None:
        pytest.skip("no chromium on PATH (apt-get install -y chromium to run this check)")
    _, page = report
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,4000", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = matplotlib.image.imread(shot)[..., :3]  # (H, W, 3)
    assert pixels.shape[:2] == (4000, 1200)
    # The figures are drawn: a good share of the page is neither white nor plain text grey.
    coloured = (np.ptp(pixels, axis=2) > 0.15).mean()
    assert coloured > 0.02, f"only {coloured:.1%} of the screenshot is coloured: images did not render"


# -- the figures' data, read back from the matplotlib artists -------------------------------------------------


def _band(ax) -> dict[float, tuple[float, float]]:
    """x -> (low, high) of the one `fill_between` band on `ax`."""
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    by_x: dict[float, list[float]] = {}
    for x, y in band.get_paths()[0].vertices:
        by_x.setdefault(round(float(x), 6), []).append(float(y))
    return {x: (min(ys), max(ys)) for x, ys in by_x.items()}


def test_learning_curves_carry_a_wilson_band_at_each_points_own_n(tmp_path):
    # 10 problems at step 0 and 20, but only 4 probed at step 10 (a time budget cut it short): a wider band there.
    rows = [outcome_row(0, "K.CC.C.7", i, False) for i in range(10)]
    rows += [outcome_row(10, "K.CC.C.7", i, i < 2) for i in range(4)]
    rows += [outcome_row(20, "K.CC.C.7", i, i < 5) for i in range(10)]
    (tmp_path / "run" / "mathcamps").mkdir(parents=True)
    (tmp_path / "run" / "mathcamps" / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    study = analyse(load_series(tmp_path / "run"))
    band = _band(fig_curves(study).axes[0])
    assert set(band) == {0, 10, 20}
    for step, (right, n) in ((0, (0, 10)), (10, (2, 4)), (20, (5, 10))):
        assert band[step] == pytest.approx(wilson(right, n)), step
    assert band[10][1] - band[10][0] > band[20][1] - band[20][0]  # same 50%, fewer problems, wider


def test_the_changes_chart_shows_each_standards_n_and_interval(tmp_path):
    study = analyse(load_series(write_run(tmp_path / "run", CURVES)), fdr=False)
    ax = fig_changes(study).axes[0]
    changes = study.comparison.changes[::-1]  # top to bottom
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{c.standard} (n={PER_STANDARD})" for c in changes]
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    segments = bars.errorbar.lines[2][0].get_segments()  # one horizontal segment per bar: [[low, y], [high, y]]
    for change, segment in zip(changes, segments, strict=True):
        assert (segment[0][0], segment[1][0]) == pytest.approx(change_interval(change.test)), change.standard
    # K.CC.C.7 goes from 0 to 10 of 10: the paired interval of +100% is [+61%, +100%].
    k = next(s for c, s in zip(changes, segments, strict=True) if c.standard == "K.CC.C.7")
    assert (round(k[0][0], 4), k[1][0]) == (0.6075, 1.0)


def test_the_acquisition_chart_puts_unacquired_standards_in_a_row_of_their_own(tmp_path):
    study = analyse(load_series(write_run(tmp_path / "run", CURVES)))
    fig = fig_acquisition(study)
    steps_axis, never = fig.axes
    plotted = sorted(float(y) for c in steps_axis.collections for _, y in c.get_offsets())
    assert plotted == sorted(s for s in EXPECTED_AT_HALF.values() if s is not None)  # no made-up step
    assert steps_axis.get_ylim()[1] < 1.15 * max(plotted)
    assert [t.get_text() for t in never.texts] == ["2.NBT.B.7"]
    assert never.texts[0].get_position()[0] == 2  # in grade 2's column
    assert [t.get_text() for t in never.get_yticklabels()] == ["not acquired"]


def test_the_changes_table_holds_the_interval(report):
    _, page = report
    assert "<td>K.CC.C.7</td><td>K</td><td>10</td><td>0%</td><td>100%</td><td>+100%</td><td>+61% to +100%</td>" in \
        page.read_text()
