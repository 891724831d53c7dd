"""The public surface is explicit; heavy optional dependencies load only when used."""

from __future__ import annotations

import subprocess
import sys

import kijun.discovery as discovery


def test_all_names_exist_and_are_sorted() -> None:
    assert discovery.__all__ == sorted(discovery.__all__, key=lambda n: (not n.isupper(), n))
    for name in discovery.__all__:
        assert hasattr(discovery, name), name


def test_duckdb_and_arrow_are_imported_only_when_used() -> None:
    code = "import sys, kijun.discovery; print('duckdb' in sys.modules, 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
