"""The hand-written stub _gridflock.pyi matches the native module (mypy stubtest)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_stub_matches_native_module():
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "gridflock._gridflock",
         "--allowlist", str(HERE / "stubtest-allowlist.txt")],
        capture_output=True, text=True, cwd=HERE,
    )
    assert run.returncode == 0, run.stdout + run.stderr
