from __future__ import annotations

from pathlib import Path

import pytest

from kijun.classification.restrictions import (
    STANDARD_CODES,
    VocabularyError,
    load_vocabulary,
    vocabulary_from_data,
)


def test_default_vocabulary_has_the_standards_five() -> None:
    vocab = load_vocabulary()
    assert {i.code for i in vocab.items if i.standard} == STANDARD_CODES
    assert vocab.resolve("複製禁止") == "no_copy"
    assert vocab.resolve("暗号化必須") == "encryption_required"
    assert vocab.resolve("Dispose after reading") == "dispose_after_reading"
    assert vocab.resolve("ＮＯ_ＣＯＰＹ") == "no_copy"  # full-width input
    assert vocab.resolve("関係者限り") == "need_to_know"
    assert not vocab.is_standard("need_to_know")


def test_unknown_label_names_the_known_ones() -> None:
    with pytest.raises(VocabularyError, match="unknown handling restriction '極秘扱い'"):
        load_vocabulary().resolve("極秘扱い")


def _std() -> list[dict[str, object]]:
    return [{"code": c, "name_ja": c + "_ja", "name_en": c + "_en", "aspect": "confidentiality", "standard": True}
            for c in sorted(STANDARD_CODES)]


def test_agency_labels_extend_the_vocabulary(tmp_path: Path) -> None:
    rows = [*_std(), {"code": "keep_until", "name_ja": "保存期限付", "name_en": "Keep until", "aspect": "availability"}]
    path = tmp_path / "v.yaml"
    import yaml

    path.write_bytes(yaml.safe_dump({"restrictions": rows}, allow_unicode=True).encode("cp932"))
    vocab = load_vocabulary(path)
    assert vocab.resolve("保存期限付") == "keep_until"
    assert vocab.resolve_all(["保存期限付", "keep_until", "no_copy_ja"]) == ("keep_until", "no_copy")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (_std()[1:], "missing"),
        ([*_std(), {"code": "x1", "name_ja": "no_copy_ja", "name_en": "dup", "aspect": "integrity"}], "used by both"),
        ([*_std(), {"code": "Bad Code", "name_ja": "a", "name_en": "b", "aspect": "integrity"}], "code"),
        ([*_std(), {"code": "fake", "name_ja": "a", "name_en": "b", "aspect": "integrity", "standard": True}],
         "only the standard"),
        ([*_std(), {"code": "x2", "name_ja": "a", "name_en": "b", "aspect": "money"}], "aspect"),
    ],
)
def test_invalid_vocabularies_are_rejected(rows: list[dict[str, object]], message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        vocabulary_from_data({"restrictions": rows}, "agency.yaml")


def test_vocabulary_document_shape() -> None:
    with pytest.raises(VocabularyError, match="agency.yaml"):
        vocabulary_from_data(["no"], "agency.yaml")
