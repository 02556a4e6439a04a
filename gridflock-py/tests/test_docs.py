"""The Python snippets in docs/bindings.md and the batch example run as written."""

import re
import subprocess
import sys

from conftest import ROOT


def python_snippets() -> list[str]:
    text = (ROOT / "docs" / "bindings.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_snippets_run(tmp_path, monkeypatch):
    snippets = python_snippets()
    assert snippets, "docs/bindings.md has no python snippet"
    monkeypatch.chdir(tmp_path)
    for code in snippets:
        exec(compile(code, "docs/bindings.md", "exec"), {"__name__": "__docs__"})


def test_batch_example_quick(tmp_path):
    example = ROOT / "gridflock-py" / "examples" / "batch_sizes.py"
    out = tmp_path / "cat"
    run = subprocess.run([sys.executable, str(example), "--quick", "--out", str(out)],
                         capture_output=True, text=True, check=True)
    assert "3 sets" in run.stdout
    rows = (out / "manifest.csv").read_text().splitlines()
    assert rows[0].startswith("sku,width_mm,height_mm,plates,triangles,files,sha256")
    assert len(rows) == 4
    assert "3/3" in run.stderr
