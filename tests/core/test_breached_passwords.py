"""ASVS 6.2.12: passwords found in an offline breach corpus are refused, by binary search over the file."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.core.passwords import BreachedPasswordValidator, breached_count


def _sha(p: str) -> str:
    return hashlib.sha1(p.encode(), usedforsecurity=False).hexdigest().upper()


def _corpus(path: Path, breached: dict[str, int], noise: int = 5000, crlf: bool = True) -> Path:
    rng = random.Random(7)
    rows = {_sha(p): n for p, n in breached.items()}
    while len(rows) < noise + len(breached):
        rows[f"{rng.getrandbits(160):040X}"] = rng.randint(1, 9999)
    eol = "\r\n" if crlf else "\n"  # the downloaded list uses CRLF
    path.write_text("".join(f"{h}:{n}{eol}" for h, n in sorted(rows.items())))
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "pwned.txt", {"Kasumigaseki#2025!": 42, "correct horse battery staple": 7})


def test_breached_password_refused_and_counted(corpus: Path) -> None:
    assert breached_count(str(corpus), _sha("Kasumigaseki#2025!").encode()) == 42
    with pytest.raises(ValidationError) as err:
        BreachedPasswordValidator(str(corpus)).validate("correct horse battery staple")
    assert err.value.error_list[0].code == "password_breached"


def test_unlisted_passphrase_accepted(corpus: Path) -> None:
    BreachedPasswordValidator(str(corpus)).validate("青い空と霞が関の長いパスフレーズ-" + "x" * 50)


def test_first_and_last_lines_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "edge.txt"
    hashes = sorted([_sha("a-first"), _sha("b-middle"), _sha("c-last")])
    path.write_text("\n".join(f"{h}:{i + 1}" for i, h in enumerate(hashes)))  # no final newline
    for i, h in enumerate(hashes):
        assert breached_count(str(path), h.encode()) == i + 1
    assert breached_count(str(path), b"0" * 40) == 0
    assert breached_count(str(path), b"F" * 40) == 0
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert breached_count(str(empty), hashes[0].encode()) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=40, unique=True), st.text(max_size=20))
def test_binary_search_agrees_with_a_set(tmp_path_factory: pytest.TempPathFactory, listed: list[str],
                                         probe: str) -> None:
    path = _corpus(tmp_path_factory.mktemp("c") / "p.txt", dict.fromkeys(listed, 3), noise=50,
                   crlf=bool(len(probe) % 2))
    for p in [*listed, probe]:
        assert (breached_count(str(path), _sha(p).encode()) > 0) == (p in listed)


@pytest.mark.django_db
def test_configured_through_settings(settings, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    settings.BREACHED_PASSWORDS_FILE = str(corpus)
    with pytest.raises(ValidationError):
        validate_password("Kasumigaseki#2025!")
    settings.BREACHED_PASSWORDS_FILE = None
    validate_password("Kasumigaseki#2025!")  # long enough, not common: only the corpus refused it


def test_missing_corpus_fails_the_system_check(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.BREACHED_PASSWORDS_FILE = str(tmp_path / "absent.txt")
    with pytest.raises(SystemCheckError, match="kijun.E001"):
        call_command("check")
