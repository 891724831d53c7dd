"""Regenerate the .po catalogs, fill Japanese from translations_ja.JA, compile .mo (make messages)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from translations_ja import JA  # noqa: E402

LOCALE = ROOT / "src" / "kijun" / "locale"
IGNORE = ["diagnostics/*", "discovery/*", "access/*", "cloud/*", "classification/*"]


def main() -> int:
    cmd = [sys.executable, "-m", "django", "makemessages", "-l", "ja", "-l", "en", "--no-obsolete"]
    for pat in IGNORE:
        cmd += ["--ignore", pat]
    subprocess.run(cmd, cwd=ROOT / "src" / "kijun", check=True,  # noqa: S603
                   env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "kijun.web.settings"})
    po = polib.pofile(str(LOCALE / "ja" / "LC_MESSAGES" / "django.po"))
    missing = []
    for entry in po:
        text = JA.get(entry.msgid)
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
