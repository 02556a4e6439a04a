"""Shared fixtures: the workspace root and the golden reference cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def as_kwargs(options: dict[str, Any]) -> dict[str, Any]:
    """JSON options to keyword arguments (pairs become tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


@pytest.fixture(scope="session")
def golden() -> dict[str, Any]:
    return json.loads((ROOT / "bindings-golden.json").read_text())
