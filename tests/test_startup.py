"""CLIs answer `--help` without torch, and evaluation starts without lightning: what a user waits for at start-up."""

import subprocess
import sys

import pytest

CLIS = ["probes.evaluate", "probes.sweep", "probes.analyze", "probes.report", "probes.grade", "mathcamps.generate"]


def modules_after(code: str) -> set[str]:
    """Top-level packages imported by running `code` in a fresh interpreter."""
    script = f"{code}\nimport sys\nprint('MODULES', *sorted({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines()[-1].split()[1:])


@pytest.mark.parametrize("cli", CLIS)
def test_help_imports_no_torch(cli):
    code = (f"import runpy, sys\nsys.argv = ['{cli}', '--help']\n"
            f"try:\n    runpy.run_module('{cli}', run_name='__main__')\nexcept SystemExit:\n    pass")
    loaded = modules_after(code)
    assert "argparse" in loaded  # the help was built
    assert "torch" not in loaded


def test_the_hf_backend_loads_without_lightning():
    loaded = modules_after("import probes.backends.hf, probes.evaluate, probes.checkpoints")
    assert "torch" in loaded and "transformers" in loaded
    assert "lightning" not in loaded
