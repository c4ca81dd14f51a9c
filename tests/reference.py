"""Where the published MathCAMPS v1 reference data lives, for conformance tests.

It sits beside the checkout (`../shared/reference/`) in development and CI, but not on a user's machine,
so tests that need it skip with a reason when it is absent.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def reference_dir() -> Path:
    """The reference folder, or a pytest skip naming where it was looked for."""
    candidates = [Path(p) for p in [os.environ.get("MATHCAMPS_REFERENCE")] if p]
    candidates += [REPO_ROOT.parent / "shared" / "reference"]
    for path in candidates:
        if (path / "mathcamps-v1").is_dir():
            return path
    pytest.skip(f"MathCAMPS reference data not found (looked in {', '.join(map(str, candidates))})")
