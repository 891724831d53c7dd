"""Run one fuzz target under atheris (libFuzzer), coverage-guided over the kijun package.

    .venv/bin/python fuzz/run.py TARGET [--seconds 60] [--json RESULT.json]
    .venv/bin/python fuzz/run.py --list

The fuzzing happens in a child process so that whatever happens there (a hard crash, a libFuzzer
timeout, the run ending with ``exit()``) the parent still reports: executions, crashes, and where
each crashing input was saved. Crashes do not stop the run: every unexpected exception is recorded
by signature (exception type + innermost kijun frame); the smallest input per signature is kept in
``var/fuzz-crashes/<target>/<signature>.bin`` with its traceback next to it (``.txt``).

The seed corpus is generated from our own fixtures (``fuzz/seeds.py``) into
``var/fuzz/corpus/<target>/`` at each start; libFuzzer adds the inputs that found new coverage.
When atheris is not installed, a plain mutation loop (random byte edits of the seeds, driven by
``random.Random``) runs instead with the same interface and output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VAR = ROOT / "var"
CRASH_DIR = VAR / "fuzz-crashes"
CORPUS_DIR = VAR / "fuzz" / "corpus"
MAX_LEN = 64 * 1024


def signature(exc: BaseException) -> str:
    """``Type@file:line`` of the innermost frame inside kijun (else the innermost frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [f for f in frames if "/kijun/" in f.filename] or frames
    where = f"{Path(inner[-1].filename).name}:{inner[-1].lineno}" if inner else "?"
    return f"{type(exc).__name__}@{where}"


class Recorder:
    """Counts executions and keeps the smallest crashing input per signature (written at once)."""

    def __init__(self, target: str, report: Path) -> None:
        self.target = target
        self.report = report
        self.execs = 0
        self.crashes: dict[str, dict[str, Any]] = {}
        self.crash_count = 0
        self._last_flush = 0.0
        self.dir = CRASH_DIR / target

    def run(self, fn: Any, data: bytes) -> None:
        self.execs += 1
        try:
            fn(data)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - anything escaping a target is a crash
            self.crash(exc, data)
        now = time.monotonic()
        if now - self._last_flush > 2.0:
            self.flush()

    def crash(self, exc: BaseException, data: bytes) -> None:
        self.crash_count += 1
        sig = signature(exc)
        old = self.crashes.get(sig)
        if old is not None:
            old["count"] += 1
            if len(data) >= old["size"]:
                return
        key = hashlib.sha1(sig.encode()).hexdigest()[:12]  # noqa: S324 - a file name, not security
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{key}.bin"
        path.write_bytes(data)
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        (self.dir / f"{key}.txt").write_text(f"target: {self.target}\nsignature: {sig}\ninput: {data!r}\n\n{tb}")
        self.crashes[sig] = {
            "signature": sig,
            "count": (old or {}).get("count", 1),
            "size": len(data),
            "input": str(path.relative_to(ROOT)),
            "message": f"{type(exc).__name__}: {str(exc)[:200]}",
        }
        self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        doc = {"target": self.target, "executions": self.execs, "crash_count": self.crash_count,
               "crashes": list(self.crashes.values())}
        tmp = self.report.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.replace(self.report)


def write_corpus(target: Any) -> Path:
    d: Path = CORPUS_DIR / target.name
    d.mkdir(parents=True, exist_ok=True)
    for s in target.seeds():
        s = s[:MAX_LEN]
        (d / hashlib.sha1(s).hexdigest()).write_bytes(s)  # noqa: S324 - content address
    return d


def child(name: str, seconds: int, report: Path, engine: str) -> None:
    try:
        import atheris
    except ImportError:
        atheris = None
    if engine == "atheris" and atheris is None:
        raise SystemExit("atheris is not installed")
    if atheris is not None and engine != "random":
        with atheris.instrument_imports(include=["kijun"]):
            from fuzz.targets import TARGETS

            target = TARGETS[name]
            corpus = write_corpus(target)
            for seed in target.seeds():  # warm up: lazy imports happen here, instrumented
                try:
                    target.fn(seed)
                except Exception:  # noqa: BLE001, S110 - seeds are reported by the property tests
                    pass
    else:
        from fuzz.targets import TARGETS

        target = TARGETS[name]
        corpus = write_corpus(target)
    rec = Recorder(name, report)
    rec.flush()
    if atheris is not None and engine != "random":
        args = [sys.argv[0], str(corpus), f"-max_total_time={seconds}", f"-max_len={MAX_LEN}",
                "-timeout=30", "-rss_limit_mb=3072", "-print_final_stats=1",
                f"-artifact_prefix={CRASH_DIR / name}/libfuzzer-"]
        (CRASH_DIR / name).mkdir(parents=True, exist_ok=True)
        atheris.Setup(args, lambda data: rec.run(target.fn, data))
        atheris.Fuzz()  # exits the process when the time is up
        return
    rng = random.Random(0)  # noqa: S311 - fuzzing, not security
    pool = [p.read_bytes() for p in sorted(corpus.iterdir())] or [b""]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rec.run(target.fn, mutate(rng.choice(pool), rng))
    rec.flush()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A few random byte-level edits: flip, insert, delete, duplicate a span, or splice interesting bytes."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and buf:
            del buf[pos:pos + rng.randint(1, 16)]
        elif op == 3 and buf:
            span = buf[pos:pos + rng.randint(1, 64)]
            buf[pos:pos] = span * rng.randint(1, 4)
        else:
            buf[pos:pos] = rng.choice([b"\x00", b"\xff\xfe", b"\x1f\x8b", b"{", b"[", b"\n", b'"', b",", b":",
                                       b"-1", b"99999999999999999999", b"\xe3\x81", b"&a", b"*a"])
    return bytes(buf[:MAX_LEN])


def parent(name: str, seconds: int, out: Path | None, engine: str) -> dict[str, Any]:
    result_dir = VAR / "fuzz" / "results"
    result_dir.mkdir(parents=True, exist_ok=True)
    report = result_dir / f"{name}.json"
    report.unlink(missing_ok=True)
    log = result_dir / f"{name}.log"
    # libFuzzer ends the child with exit(), which skips Python's atexit: give the child its own
    # temporary directory and remove it here.
    scratch = VAR / "fuzz" / "tmp" / name
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TMPDIR=str(scratch))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--seconds", str(seconds),
           "--report", str(report), "--engine", engine]
    started = time.monotonic()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, env=env,  # noqa: S603
                              timeout=seconds + 300, check=False)
    elapsed = time.monotonic() - started
    text = log.read_text(errors="replace")
    doc: dict[str, Any] = json.loads(report.read_text()) if report.is_file() else {
        "target": name, "executions": 0, "crash_count": 0, "crashes": []}
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text) or re.search(r"Done (\d+) runs", text)
    if m:
        doc["executions"] = max(doc["executions"], int(m.group(1)))
    fatal = proc.returncode != 0
    if fatal:  # libFuzzer stopped on its own: timeout, out-of-memory, a hard crash, or a setup error
        kind = ("timeout" if "ERROR: libFuzzer: timeout" in text else
                "out-of-memory" if "out-of-memory" in text else f"exit status {proc.returncode}")
        artifacts = sorted((CRASH_DIR / name).glob("libfuzzer-*")) if (CRASH_DIR / name).is_dir() else []
        doc["crashes"].append({"signature": f"fatal:{kind}", "count": 1,
                               "input": str(artifacts[-1].relative_to(ROOT)) if artifacts else None,
                               "message": text.strip().splitlines()[-1][:200] if text.strip() else kind})
        doc["crash_count"] += 1
    _verify(name, doc, env)
    shutil.rmtree(scratch, ignore_errors=True)
    doc["seconds"] = round(elapsed, 1)
    doc["engine"] = engine_name(engine)
    doc["log"] = str(log.relative_to(ROOT))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1))
    return doc


def _verify(name: str, doc: dict[str, Any], env: dict[str, str]) -> None:
    """Replay each saved crash without instrumentation; keep only those that reproduce.

    atheris rewrites bytecode to trace comparisons; on CPython 3.11 that rewriting has produced
    exceptions plain Python never raises (seen: ``TypeError: 'str' object is not callable`` on a
    bound-method call in discovery/textio.py). Such crashes are listed as ``instrumentation_only``.
    """
    inputs = [c["input"] for c in doc["crashes"] if c.get("input") and c["signature"].count("@")]
    if not inputs:
        return
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--replay", name, *inputs],  # noqa: S603
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600, check=False)
    failing = set(proc.stdout.split())
    kept: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    for c in doc["crashes"]:
        (dropped if c.get("input") in inputs and c["input"] not in failing else kept).append(c)
    doc["crashes"] = kept
    doc["instrumentation_only"] = dropped
    doc["crash_count"] -= sum(c["count"] for c in dropped)


def replay(name: str, files: list[str]) -> None:
    """Print the files whose input still crashes the target (uninstrumented)."""
    from fuzz.targets import TARGETS

    for f in files:
        try:
            TARGETS[name].fn((ROOT / f).read_bytes())
        except Exception:  # noqa: BLE001 - any escape is a crash
            print(f)


def engine_name(engine: str) -> str:
    if engine != "auto":
        return engine
    try:
        import atheris  # noqa: F401
    except ImportError:
        return "random"
    return "atheris"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", nargs="?")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--json", type=Path, default=None, help="also write the result document here")
    ap.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    ap.add_argument("--list", action="store_true", help="print the target names and exit")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--replay", action="store_true", help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args(argv)
    if args.replay:
        replay(args.target, rest)
        return 0
    if args.list:
        from fuzz.targets import TARGETS

        print("\n".join(TARGETS))
        return 0
    if not args.target:
        ap.error("TARGET is required (see --list)")
    if args.child:
        child(args.target, args.seconds, args.report, args.engine)
        return 0
    from fuzz.targets import TARGETS

    if args.target not in TARGETS:
        ap.error(f"unknown target {args.target!r}; see --list")
    doc = parent(args.target, args.seconds, args.json, args.engine)
    print(f"{doc['target']}: {doc['executions']} executions, {doc['crash_count']} crashes "
          f"({len(doc['crashes'])} distinct) in {doc['seconds']} s [{doc['engine']}]")
    for c in doc["crashes"]:
        print(f"  {c['signature']} x{c['count']}: {c['message']} -> {c['input']}")
    return 1 if doc["crash_count"] else 0


if __name__ == "__main__":
    sys.exit(main())
