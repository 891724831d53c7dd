"""The CLI conventions both sub-apps share (kijun classify, kijun cloud): one JSON document
on stdout, or exit 2 with one ``error:`` line on stderr and nothing on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
import yaml
from pydantic import ValidationError

from kijun.classification.textio import first_error

T = TypeVar("T")
#: Every input error of the engines subclasses ValueError (GuideError, RuleError, IsmapFormatError, ...).
INPUT_ERRORS: tuple[type[BaseException], ...] = (ValueError, yaml.YAMLError)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def guarded(fn: Callable[[], T], errors: tuple[type[BaseException], ...] = INPUT_ERRORS) -> T:
    """Run ``fn``; turn the expected input errors into :func:`fail`."""
    try:
        return fn()
    except ValidationError as exc:
        fail(first_error(exc))
    except errors as exc:
        fail(str(exc).splitlines()[0])


def emit(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
