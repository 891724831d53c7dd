from __future__ import annotations

import subprocess
import sys

import kijun.diagnostics as diag


def test_all_is_sorted_and_importable() -> None:
    assert diag.__all__ == sorted(diag.__all__)
    for name in diag.__all__:
        assert getattr(diag, name) is not None


def test_engine_and_cli_import_no_django() -> None:
    """The engine is pure: importing it (and its CLI) in a fresh interpreter loads no Django."""
    code = "import sys, kijun.diagnostics, kijun.diagnostics.cli; print('\\n'.join(sys.modules))"
    mods = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "kijun.diagnostics.matcher" in mods
    assert not [m for m in mods if m == "django" or m.startswith("django.")]
