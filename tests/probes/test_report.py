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

from probes.report import FIGURES, main
from tests import wandb_reader
from tests.probes.test_analysis import CURVES, STEPS, write_eval, write_run

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
