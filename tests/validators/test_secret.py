"""Rule `secret`: credentials anywhere in a template, never echoed back."""

from __future__ import annotations

import copy as copy_module
import functools
from pathlib import Path
from typing import Any

import pytest

from registry.loader import load_document
from tests.helpers import BASE, edit, findings_of, messages_of
from validators import secret
from validators.secret import entropy, is_reference, is_secret_name, secret_kind, strings

# Test credentials assembled at run time so that no scanner mistakes this file for a leak.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
OPENAI = "sk-" + "proj-" + "Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0Ef"
PRIVATE = "-----BEGIN RSA " + "PRIVATE KEY-----"


def with_env(name: str, value: str) -> str:
    return edit(BASE, "    image: server\n",
                f"    image: server\n    env:\n      {name}: '{value}'\n")


@pytest.mark.parametrize("value", [AWS_KEY, GITHUB, SLACK, OPENAI])
def test_token_shapes_in_env(value: str) -> None:
    text = with_env("SOME_VALUE", value)
    assert findings_of(text) == [(11, 19, "error", "secret")]
    assert value not in messages_of(text)[0]


def test_aws_key_in_env_is_named() -> None:
    assert "an AWS access key id" in messages_of(with_env("AWS_ACCESS_KEY_ID", AWS_KEY))[0]


def test_private_key_block_anywhere() -> None:
    text = BASE + (f'model_request_parameters_schema:\n  parameters:\n    - name: k\n'
                   f'      type: str\n      description: "{PRIVATE}\\nMIIE"\n'
                   '      required: false\n')
    assert findings_of(text) == [(25, 20, "error", "secret")]


def test_token_in_command_argument() -> None:
    text = edit(BASE, "command: [python, -m, server]",
                f"command: [python, -m, server, --token, {GITHUB}]")
    assert findings_of(text) == [(11, 44, "error", "secret")]


def test_high_entropy_value_under_secret_name() -> None:
    text = with_env("DB_PASSWORD", "q8Zr3Lx0Vw2Tn7Ks")
    assert findings_of(text) == [(11, 20, "error", "secret")]
    assert "q8Zr3Lx0Vw2Tn7Ks" not in messages_of(text)[0]


def test_flag_with_inline_value() -> None:
    text = edit(BASE, "command: [python, -m, server]",
                "command: [python, -m, server, --api-key=Zk4Qm8Rt2Vx6Bn0Lp3]")
    assert findings_of(text) == [(11, 35, "error", "secret")]


@pytest.mark.parametrize(("name", "value"), [
    ("API_KEY", "${API_KEY}"),
    ("HF_TOKEN_PATH", "/var/run/secrets/hf/token"),
    ("DB_PASSWORD", "arn:aws:secretsmanager:us-west-2:123456789012:secret:db"),
    ("LOG_LEVEL", "q8Zr3Lx0Vw2Tn7Ks"),
    ("API_KEY", "short"),
    ("TOKENIZER_NAME", "meta-llama/Llama-3.1-8B"),
])
def test_references_and_ordinary_values_pass(name: str, value: str) -> None:
    assert findings_of(with_env(name, value)) == []


def test_secret_name_detection() -> None:
    assert is_secret_name("OPENAI_API_KEY")
    assert is_secret_name("--token")
    assert is_secret_name("dbPassword")
    assert is_secret_name("HFTOKEN")
    assert not is_secret_name("TOKENIZER_NAME")
    assert not is_secret_name("MONKEYS")


def test_entropy() -> None:
    assert entropy("aaaaaaaa") == 0
    assert entropy("q8Zr3Lx0Vw2Tn7Ks") == 4.0


def test_public_functions_for_redaction() -> None:
    data = {"env": {"API_KEY": "q8Zr3Lx0Vw2Tn7Ks", "MODE": "fast"},
            "command": ["serve", "--token", GITHUB, "--api-key=Zk4Qm8Rt2Vx6Bn0Lp3"]}
    assert list(strings(data)) == [
        (("env", "API_KEY"), "API_KEY", "q8Zr3Lx0Vw2Tn7Ks"), (("env", "MODE"), "MODE", "fast"),
        (("command", 0), "", "serve"), (("command", 1), "", "--token"),
        (("command", 2), "--token", GITHUB), (("command", 3), "--api-key", "Zk4Qm8Rt2Vx6Bn0Lp3")]
    assert secret_kind("", f"see {GITHUB} here") == "a GitHub token"
    assert secret_kind("API_KEY", "q8Zr3Lx0Vw2Tn7Ks") == (
        "a value that looks like a secret (under 'API_KEY')")
    assert secret_kind("", "q8Zr3Lx0Vw2Tn7Ks") is None
    assert secret_kind("API_KEY", "${API_KEY}") is None
    assert is_reference(" ${HF_TOKEN} ")
    assert is_reference("vault://kv/hf")
    assert not is_reference("hunter2")


HIGH_ENTROPY = "Zx9Qw3Er7Ty1Ui5Op2As6Df0Gh"


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every string value and list item in NODE."""
    found: list[tuple[Any, ...]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        if isinstance(value, str):
            found.append((*path, key))
        else:
            found += _leaves(value, (*path, key))
    return found


def _variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    """DATA with a credential put in each place a template can hold one: each string
    replaced by each shape, each key renamed to a secret name, flags added to each list."""
    out = []
    for leaf in _leaves(data):
        for value in (AWS_KEY, GITHUB, SLACK, OPENAI, PRIVATE, f"x {OPENAI} y", HIGH_ENTROPY):
            copy = copy_module.deepcopy(data)
            parent = functools.reduce(lambda node, part: node[part], leaf[:-1], copy)
            parent[leaf[-1]] = value
            out.append(copy)
        parent_path, key = leaf[:-1], leaf[-1]
        copy = copy_module.deepcopy(data)
        parent = functools.reduce(lambda node, part: node[part], parent_path, copy)
        if isinstance(parent, dict):
            parent["API_TOKEN" if key != "API_TOKEN" else "DB_PASSWORD"] = HIGH_ENTROPY
        else:
            parent += ["--token", HIGH_ENTROPY, f"--api-key={HIGH_ENTROPY}",
                       f"HF_TOKEN={HIGH_ENTROPY}"]
        out.append(copy)
    return out


def test_the_shortcut_never_skips_a_finding() -> None:
    """`may_hold_secret` is a superset of the rule's test: over every rule fixture and
    example template, and each of them with credentials put in every place, the rule with
    the shortcut finds exactly what it finds testing every string."""
    root = Path(__file__).resolve().parents[2]
    sources = sorted([*root.glob("tests/rules/*/*/*.yaml"), *root.glob("templates/**/*.yaml")])
    docs = [loaded.document for source in sources
            if (loaded := load_document(source.read_bytes(), source.name)).document is not None]
    flagged = 0
    for doc in docs:
        for data in [doc.data, *_variants(doc.data)]:
            variant = doc.with_data(data)
            everything = secret.findings(variant)
            flagged += bool(everything)
            assert secret.check(variant) == everything
            assert secret.may_hold_secret(data) or not everything
    assert len(docs) > 50 and flagged > 1000
