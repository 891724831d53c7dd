"""Policy directories, hand-written Cedar, and schema validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kijun.access.policy import (
    PolicyError,
    PolicySource,
    default_source,
    load_policy_dir,
    policy_infos,
    shipped_schema,
    validate_source,
)


def _src(cedar: str, entities: str = "[]") -> PolicySource:
    return PolicySource(schema=shipped_schema(), files={"hand.cedar": cedar}, entities=entities)


def test_default_source_is_valid() -> None:
    src = default_source()
    assert validate_source(src) == []
    assert src.revision.startswith("sha256:")


def test_hand_written_cedar_is_accepted() -> None:
    cedar = ('@id("own") permit (principal in Role::"staff", action == Action::"read", resource)\n'
             'when { resource.confidentiality == 1 };\n'
             '@id("no_ext") @outcome("deny") forbid (principal, action, resource) when { context.network == "external" };')
    assert validate_source(_src(cedar)) == []
    infos = {i.id: i for i in policy_infos(cedar).values()}
    assert infos["own"].outcome == "allow" and infos["no_ext"].outcome == "deny"


def test_schema_error_names_file_and_policy_id() -> None:
    problems = validate_source(_src('@id("bad_attr") permit (principal, action, resource) when { resource.colour == 1 };'))
    assert len(problems) == 1
    assert problems[0].startswith("hand.cedar: policy 'bad_attr':")
    assert "colour" in problems[0]


def test_type_error_is_reported() -> None:
    problems = validate_source(_src('@id("t") permit (principal, action, resource) when { context.network == 3 };'))
    assert problems and "hand.cedar: policy 't'" in problems[0]


def test_parse_error_is_reported() -> None:
    problems = validate_source(_src("permit (principal, action resource);"))
    assert problems and problems[0].startswith("hand.cedar:") and "parse" in problems[0].lower()


@pytest.mark.parametrize(
    ("cedar", "message"),
    [
        ("permit (principal, action, resource);", "no @id"),
        ('@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);',
         "duplicate policy @id"),
        ('@id("p") @outcome("step_up") @step_up("mfa") permit (principal, action, resource);',
         "permit can only"),
        ('@id("f") @outcome("maybe") forbid (principal, action, resource);', "forbid needs"),
        ('@id("s") @outcome("step_up") forbid (principal, action, resource);', "step_up needs"),
        ('@id("t") permit (principal == ?principal, action, resource);', "templates"),
    ],
)
def test_annotation_rules(cedar: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy_infos(cedar)
    assert any(message in line for line in validate_source(_src(cedar)))


def test_only_role_entities_in_a_policy_set() -> None:
    ok = '[{"uid": {"type": "Role", "id": "manager"}, "attrs": {}, "parents": [{"type": "Role", "id": "staff"}]}]'
    assert validate_source(_src('@id("x") permit (principal, action, resource);', ok)) == []
    bad = '[{"uid": {"type": "User", "id": "u"}, "attrs": {"org_unit": "a", "disabled": false}, "parents": []}]'
    assert any("only Role" in p for p in validate_source(_src('@id("x") permit (principal, action, resource);', bad)))


def test_duplicate_ids_across_files_detected() -> None:
    src = PolicySource(shipped_schema(), {"a.cedar": '@id("same") permit (principal, action, resource);',
                                          "b.cedar": '@id("same") permit (principal, action, resource);'})
    assert any("duplicate policy @id" in p for p in validate_source(src))


def test_load_policy_dir_mixes_rules_and_cedar(tmp_path: Path) -> None:
    (tmp_path / "agency.rules.yaml").write_text(
        "rules:\n  - {id: allow_all_read, outcome: allow, actions: [read]}\n", "utf-8")
    (tmp_path / "extra.cedar").write_text('@id("no_admin") forbid (principal, action == Action::"admin", resource);')
    (tmp_path / "README.txt").write_text("ignored")
    src = load_policy_dir(tmp_path)
    assert sorted(src.files) == ["agency.rules.cedar", "extra.cedar"]
    assert "agency.rules.yaml" in src.sources
    assert validate_source(src) == []


def test_load_policy_dir_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not a directory"):
        load_policy_dir(tmp_path / "missing")
    with pytest.raises(PolicyError, match="no \\*.cedar"):
        load_policy_dir(tmp_path)
    (tmp_path / "x.rules.yaml").write_text("rules:\n  - {id: a, outcome: deny, when: ['x.y == 1']}\n")
    with pytest.raises(PolicyError, match="x.rules.yaml: rules.0.when"):
        load_policy_dir(tmp_path)


def test_custom_schema_in_dir_is_used(tmp_path: Path) -> None:
    (tmp_path / "schema.cedarschema").write_text("this is not a schema")
    (tmp_path / "p.cedar").write_text('@id("x") permit (principal, action, resource);')
    problems = validate_source(load_policy_dir(tmp_path))
    assert problems and problems[0].startswith("schema:")


def test_revision_changes_with_content(tmp_path: Path) -> None:
    (tmp_path / "p.cedar").write_text('@id("x") permit (principal, action, resource);')
    first = load_policy_dir(tmp_path).revision
    (tmp_path / "p.cedar").write_text('@id("y") permit (principal, action, resource);')
    assert load_policy_dir(tmp_path).revision != first


def _when(body: str) -> str:
    return f'@id("deep") forbid(principal, action, resource) when {{ {body} }};'


@pytest.mark.parametrize(
    "body",
    [
        "(" * 1000 + "true" + ")" * 1000,
        "[" * 1000 + "]" * 1000 + " == []",
        "{a:" * 1000 + "1" + "}" * 1000 + " == {}",
        "if true then " * 10000 + "true" + " else true" * 10000,
    ],
    ids=["parens", "sets", "records", "if-chain"],
)
def test_nesting_that_would_crash_cedarpy_is_refused_first(body: str) -> None:
    """cedarpy segfaults (kills the worker, no exception) on these; the guard refuses them before.
    Run in a child process, so a regression shows as a failed test, not a dead test run."""
    import subprocess
    import sys

    code = (
        "import sys; from kijun.access.policy import PolicySource, shipped_schema, validate_source\n"
        "src = PolicySource(schema=shipped_schema(), files={'hand.cedar': sys.stdin.read()})\n"
        "print(validate_source(src))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=_when(body), capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "nested deeper than 64" in out.stdout or "if-expressions in one policy" in out.stdout


def test_nesting_guard_ignores_strings_and_comments() -> None:
    text = (
        '@id("ok") @description("((((( [[[[ {{{{ if if") forbid(principal, action, resource)\n'
        "// " + "(" * 500 + "\n"
        'when { context has note && context.note == "' + "{" * 300 + '" };'
    )
    assert not [p for p in validate_source(_src(text)) if "nested" in p or "if-expressions" in p]
    with pytest.raises(PolicyError, match="nested deeper"):
        policy_infos(_when("(" * 64 + "true" + ")" * 64))  # with the when-block's brace: 65 levels
    policy_infos(_when("(" * 63 + "true" + ")" * 63))  # 64 levels: at the limit, parsed
