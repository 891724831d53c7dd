"""``kijun access ...``: decide offline, compile/validate policies, build signed bundles, serve the PDP."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from .bundle import (
    BundleError,
    build_bundle,
    generate_keypair,
    load_private_key,
    load_public_key,
    read_bundle,
)
from .engine import Engine, PreparedPolicy
from .model import AccessRequest
from .policy import (
    PolicyError,
    PolicySource,
    compile_rules_text,
    default_source,
    load_policy_dir,
    validate_source,
)

app = typer.Typer(help="Zero-trust dynamic access control (R7 7.3): policies, decisions, PDP.", no_args_is_help=True)
bundle_app = typer.Typer(help="Signed policy bundles.", no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _source(policy: Path | None) -> PolicySource:
    try:
        return default_source() if policy is None else load_policy_dir(policy)
    except PolicyError as exc:
        _fail(str(exc))


def _read_json(path: Path) -> object:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text("utf-8-sig")
        return json.loads(text)
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: line {exc.lineno} column {exc.colno}: {exc.msg}")


@app.command()
def decide(
    input: Annotated[Path, typer.Option("--input", "-i", help="Request JSON file ('-' for stdin).")],
    policy: Annotated[Path | None, typer.Option(help="Policy directory (default: the shipped default policy).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as one JSON document.")] = False,
) -> None:
    """Decide one request offline."""
    try:
        request = AccessRequest.model_validate(_read_json(input))
    except ValidationError as exc:
        first = exc.errors()[0]
        _fail(f"{input}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    try:
        engine = Engine(PreparedPolicy.compile(_source(policy)))
    except PolicyError as exc:
        _fail(str(exc))
    decision = engine.decide(request)
    if as_json:
        typer.echo(decision.model_dump_json())
        return
    typer.echo(f"{decision.decision}  (policy revision {decision.policy_revision})")
    for reason in decision.reasons:
        typer.echo(f"  - {reason}")
    for key, value in decision.obligations.items():
        typer.echo(f"  obligation {key}: {value}")


@app.command("compile")
def compile_cmd(rules: Annotated[Path, typer.Argument(help="Rules YAML file.")]) -> None:
    """Print the Cedar generated from a rules file (validated against the shipped schema)."""
    try:
        text = rules.read_text("utf-8-sig")
        cedar = compile_rules_text(text, str(rules))
    except OSError as exc:
        _fail(f"{rules}: {exc.strerror or exc}")
    except PolicyError as exc:
        _fail(str(exc))
    src = default_source()
    problems = validate_source(PolicySource(src.schema, {rules.name: cedar}))
    if problems:
        _fail("; ".join(problems))
    typer.echo(cedar, nl=False)


@app.command()
def validate(
    policy: Annotated[Path, typer.Argument(help="Policy directory.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Validate a policy directory against its schema; exit 1 on any problem."""
    src = _source(policy)
    problems = validate_source(src)
    if as_json:
        typer.echo(json.dumps({"valid": not problems, "revision": src.revision, "problems": problems}))
    elif not problems:
        typer.echo(f"valid: {len(src.files)} policy file(s), revision {src.revision}")
    if problems:
        if not as_json:
            for line in problems:
                typer.echo(f"error: {line}", err=True)
        raise typer.Exit(1)


@app.command()
def keygen(
    private: Annotated[Path, typer.Option(help="Where to write the private key (PEM, mode 0600).")] = Path(
        "kijun-bundle.key"
    ),
    public: Annotated[Path, typer.Option(help="Where to write the public key (PEM).")] = Path("kijun-bundle.pub"),
) -> None:
    """Create an Ed25519 key pair for signing bundles."""
    if private.exists() or public.exists():
        _fail("refusing to overwrite an existing key file")
    private_pem, public_pem = generate_keypair()
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public.write_bytes(public_pem)
    typer.echo(f"wrote {private} and {public}")


@bundle_app.command("build")
def bundle_build(
    policy: Annotated[Path, typer.Argument(help="Policy directory.")],
    out: Annotated[Path, typer.Option(help="Bundle file to write (.tar.gz).")],
    key: Annotated[Path | None, typer.Option(help="Ed25519 private key (PEM) to sign with.")] = None,
    revision: Annotated[str | None, typer.Option(help="Revision label (default: content digest).")] = None,
) -> None:
    """Validate a policy directory and write a (signed) bundle."""
    src = _source(policy)
    problems = validate_source(src)
    if problems:
        _fail("; ".join(problems))
    if revision:
        src = PolicySource(src.schema, src.files, src.entities, src.routes, revision, src.sources)
    try:
        private_key = load_private_key(key.read_bytes()) if key else None
    except (OSError, BundleError) as exc:
        _fail(f"{key}: {exc}")
    data = build_bundle(src, datetime.now(UTC), private_key)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    typer.echo(f"wrote {out} ({len(data)} bytes, revision {src.revision}, {'signed' if key else 'UNSIGNED'})")


@bundle_app.command("verify")
def bundle_verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle file.")],
    public_key: Annotated[Path | None, typer.Option("--public-key", help="Ed25519 public key (PEM).")] = None,
) -> None:
    """Verify a bundle's signature, digests and policies."""
    try:
        pub = load_public_key(public_key.read_bytes()) if public_key else None
        source, info = read_bundle(bundle.read_bytes(), pub)
        PreparedPolicy.compile(source)
    except (OSError, BundleError, PolicyError) as exc:
        _fail(str(exc))
    state = "verified" if info.verified else ("signed, not verified (no key)" if info.signed else "unsigned")
    typer.echo(f"ok: revision {info.revision}, {state}")


@app.command()
def serve(
    policy: Annotated[Path | None, typer.Option(help="Policy directory.")] = None,
    bundle: Annotated[str | None, typer.Option(help="Bundle file or http(s) URL.")] = None,
    public_key: Annotated[Path | None, typer.Option("--public-key", help="Require bundles signed by this key.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (localhost by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8181,
    decision_log: Annotated[Path | None, typer.Option(help="Append decision log JSON lines here.")] = None,
    log_sample: Annotated[float, typer.Option(help="Share of allow decisions logged (deny/step-up always).")] = 1.0,
    poll: Annotated[float, typer.Option(help="Re-load the bundle every N seconds (0: only on SIGHUP).")] = 0.0,
    signals_token_file: Annotated[
        Path | None, typer.Option(help="File with the bearer token POST /v1/signals must present.")
    ] = None,
    webhook: Annotated[str | None, typer.Option(help="URL notified of sessions to revoke / step up.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes.")] = 1,
    api_token_file: Annotated[
        Path | None, typer.Option(help="File with the PDP token (kjp_…) for bundle polling and log shipping.")
    ] = None,
    ship_url: Annotated[
        str | None, typer.Option(help="Ship decision logs to this kijun URL (…/api/v1/access/decision-logs).")
    ] = None,
    mask_key_file: Annotated[
        Path | None, typer.Option(help="Key for hashing user and session ids in decision logs.")
    ] = None,
) -> None:
    """Run the standalone PDP (reloads the policy on SIGHUP).

    Options left out fall back to KIJUN_ACCESS_* environment variables (see docs/access.md)."""
    import uvicorn

    from .server import ENV_PREFIX, app_from_settings, install_sighup_reload

    if (policy is None) == (bundle is None):
        _fail("give exactly one of --policy DIR or --bundle FILE/URL")
    if not 0.0 <= log_sample <= 1.0:
        _fail("--log-sample must be between 0 and 1")
    settings = {
        "POLICY": str(policy.resolve()) if policy else "",
        "BUNDLE": bundle if bundle and bundle.startswith(("http://", "https://")) else
        (str(Path(bundle).resolve()) if bundle else ""),
        "PUBLIC_KEY": str(public_key.resolve()) if public_key else "",
        "DECISION_LOG": str(decision_log.resolve()) if decision_log else "",
        "LOG_SAMPLE": str(log_sample),
        "POLL": str(poll),
        "SIGNALS_TOKEN_FILE": str(signals_token_file.resolve()) if signals_token_file else "",
        "WEBHOOK": webhook or "",
    }
    # Only options actually given override the KIJUN_ACCESS_* environment.
    if api_token_file:
        settings["API_TOKEN_FILE"] = str(api_token_file.resolve())
    if ship_url:
        settings["SHIP_URL"] = ship_url
    if mask_key_file:
        settings["MASK_KEY_FILE"] = str(mask_key_file.resolve())
    try:
        app_ = app_from_settings(settings)  # loads and validates here, so errors surface before serving
    except (RuntimeError, OSError, ValueError) as exc:
        _fail(str(exc))
    pdp = app_.state.pdp
    typer.echo(f"kijun PDP on http://{host}:{port} (policy revision {pdp.revision}, {workers} worker(s))", err=True)
    if workers == 1:
        install_sighup_reload(pdp)
        uvicorn.run(app_, host=host, port=port, log_level="warning")
    else:  # each worker process builds its own PDP from the same settings; SIGHUP restarts them
        os.environ.update({ENV_PREFIX + key: value for key, value in settings.items()})
        _run_workers(host, port, workers)


def _run_workers(host: str, port: int, workers: int) -> None:
    """uvicorn's multi-process supervisor over a socket we bind ourselves.

    uvicorn binds with ``socket.socket(family)`` (protocol 0), and asyncio only sets TCP_NODELAY on
    accepted sockets whose protocol is IPPROTO_TCP; without it small responses meet delayed ACKs
    (~40 ms per request). Binding with IPPROTO_TCP keeps multi-worker latency at single-worker level.
    """
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.set_inheritable(True)
    config = uvicorn.Config("kijun.access.server:app_from_env", factory=True, host=host, port=port,
                            workers=workers, log_level="warning")
    Multiprocess(config, sockets=[sock]).run()


__all__ = ["app"]
