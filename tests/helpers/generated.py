"""The synthetic ISP of bench/generate.py, written small for a test."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

PROJECT = Path(__file__).resolve().parents[2]


def generate_isp(out: Path, customers: int, routers: int, months: int, as_of: date) -> Path:
    """bench/generate.py's `generate` (seed 1, age-encrypted passwords) into `out`."""
    module = sys.modules.get("bench_generate")
    if module is None:
        spec = importlib.util.spec_from_file_location(
            "bench_generate", PROJECT / "bench" / "generate.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_generate"] = module  # dataclasses resolve their module through it
        spec.loader.exec_module(module)
    assert isinstance(module, ModuleType)
    module.generate(out, customers, routers, months, 1, as_of, False)
    return out
