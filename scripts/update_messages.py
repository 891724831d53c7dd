"""Regenerate the .po catalogs, fill Japanese from scripts/translations/*.py (each a JA dict), compile .mo.

Each app keeps its reviewed Japanese strings in its own scripts/translations/<app>.py (make messages).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "kijun" / "locale"


def load_ja() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "scripts" / "translations").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"translations_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for k, v in mod.JA.items():
            if merged.get(k, v) != v:
                raise SystemExit(f"conflicting Japanese for {k!r} in {path.name}")
            merged[k] = v
    return merged


def main() -> int:
    ja = load_ja()
    cmd = [sys.executable, "-m", "django", "makemessages", "-l", "ja", "-l", "en", "--no-obsolete"]
    subprocess.run(cmd, cwd=ROOT / "src" / "kijun", check=True,  # noqa: S603
                   env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "kijun.web.settings"})
    po = polib.pofile(str(LOCALE / "ja" / "LC_MESSAGES" / "django.po"))
    missing = []
    for entry in po:
        text = ja.get(entry.msgid)
        if text is None:
            missing.append(entry.msgid)
            continue
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    for lang in ("ja", "en"):
        p = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))
        p.save_as_mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))
    if missing:
        print("missing Japanese for:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
