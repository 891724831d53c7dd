"""Loading the engines' YAML data: the shipped default or the agency's own file.

Every data file (rules, duties, policy, vocabulary, guide, system classes) is read the same
way and validated into a pydantic model; an error names the file and the field."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kijun.classification.textio import first_error, read_text

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path | None, package: str, default: str) -> tuple[Any, str]:
    """Parsed YAML and a source name for messages: ``path`` (UTF-8 or CP932), or the file
    ``default`` shipped inside ``package`` when ``path`` is None."""
    if path is None:
        text = resources.files(package).joinpath(default).read_text(encoding="utf-8")
        return yaml.safe_load(text), f"default {default}"
    return yaml.safe_load(read_text(path)), str(path)


def validate(model: type[M], data: Any, source: str, error: type[ValueError]) -> M:
    """``model`` from ``data``, or ``error`` with ``source: field: message``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{source}: {first_error(exc)}") from exc
