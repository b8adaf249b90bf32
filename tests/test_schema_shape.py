"""The `schema` rule's walker (no pydantic) reports exactly what the pydantic model reports.

validators/schema_shape.py is generated from registry/model.py and must be current; the
walker (validators/schema_errors.py) must give pydantic's errors (type, location, the
value found, an enum's allowed values), in pydantic's order, and so the same findings,
on: the example templates, every file content the rule and loader tests check, the fuzz
mutants and listed inputs of tests/test_fuzz.py, and thousands of seeded random edits of
field values, types and keys.
"""

from __future__ import annotations

import copy
import datetime
import importlib
import inspect
import itertools
import math
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from registry import checks
from registry.loader import Document, load_document
from registry.model import ModelTemplateRequest
from scripts import schema_shape
from scripts.schema_shape import TARGET, Unsupported, render
from tests import test_fuzz
from validators import schema
from validators.schema_errors import ModelError, fields_at, model_errors, unknown_fields
from validators.schema_shape import MODELS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "templates").rglob("*.yaml"))
# The tests whose inputs are harvested: every content they give the rules or the loader.
HARVESTED = sorted([*(ROOT / "tests" / "validators").glob("test_*.py"),
                    ROOT / "tests" / "test_loader.py"])
SEED = 20250117
RANDOM_EDITS = 4000
_QUOTED = re.compile(r"'([^']*)'")
PARAM = type(pytest.param())  # what pytest.param(...) makes, in a parametrize list

# Every field of every model, valid: random edits start from here and from the examples.
FULL = """\
name: full
account_id: acct-full
endpoint_type: ASYNC
model_type: CHAT_COMPLETION
endpoint_protocol: VLLM
vendor_configuration:
  vendor: LAUNCH
  bundle_config:
    registry: registry.example.com
    image: server
    tag: "2.0"
    command: [python, -m, server]
    env: {MODEL: /models/a, THREADS: "4"}
    streaming_command: [python, -m, stream]
    readiness_initial_delay_seconds: 30
    healthcheck_route: /health
    predict_route: /predict
    streaming_predict_route: /stream
  endpoint_config:
    cpus: 4
    memory: 16Gi
    storage: 40Gi
    gpus: 1
    gpu_type: nvidia-ampere-a10
    min_workers: 0
    max_workers: 4
    per_worker: 2
    endpoint_type: ASYNC
    high_priority: false
  fine_tuning_job_bundle_config:
    registry: registry.example.com
    image: tuner
    tag: "1.0"
    command: [python, -m, tune]
    env: {EPOCHS: "3"}
    mount_location: /config/job.json
    training_dataset_schema_type: GENERATION
    resources: {cpus: 8, memory: 64Gi, storage: 200Gi, gpus: 2, gpu_type: nvidia-hopper-h100}
model_creation_parameters_schema:
  parameters:
    - {name: weights, type: str, description: Where the weights are., required: true}
model_request_parameters_schema:
  parameters:
    - {name: top_k, type: int, description: How many., required: false}
    - {name: temperature, type: float, description: Sampling., required: false}
"""


def pydantic_errors(data: dict[str, Any]) -> list[ModelError]:
    """The model's own errors, in the walker's terms (an enum's allowed values read from
    pydantic's message context)."""
    try:
        ModelTemplateRequest.model_validate(data)
    except ValidationError as exc:
        return [ModelError(e["type"], tuple(e["loc"]), e["input"],
                           tuple(_QUOTED.findall(e["ctx"]["expected"]))
                           if e["type"] == "literal_error" else ())
                for e in exc.errors(include_url=False)]
    return []


def same(a: object, b: object) -> bool:
    """Equal, with NaN equal to itself (a YAML `.nan` is a value the rules see)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a is b or a == b


def assert_agree(doc: Document) -> int:
    """The walker and pydantic agree on DOC's errors and findings; returns the error count."""
    ours, theirs = model_errors(doc.data), pydantic_errors(doc.data)
    assert [e._replace(input=None) for e in ours] == [e._replace(input=None) for e in theirs]
    assert all(same(a.input, b.input) for a, b in zip(ours, theirs, strict=True)), \
        [(a, b) for a, b in zip(ours, theirs, strict=True) if not same(a.input, b.input)]
    if len(doc.values) <= schema.MAX_VALUES:  # larger ones get only their unknown fields
        assert schema.findings(doc, ours) == schema.findings(doc, theirs)
    assert unknown_fields(doc.data) == [e.loc for e in theirs if e.kind == "extra_forbidden"]
    return len(ours)


def loaded(raw: bytes) -> Document | None:
    return load_document(raw, "t.yaml").document


# ---------------------------------------------------------------------------- the table


def test_the_committed_shape_is_current() -> None:
    assert TARGET.read_text() == render(), f"{TARGET} is stale: run `make schema`"


def test_the_table_names_every_model_and_field() -> None:
    assert list(MODELS) == ["ModelTemplateRequest", "LaunchVendorConfiguration",
                            "ParameterSchema", "ModelBundleConfiguration",
                            "CreateModelEndpointConfig", "FineTuningJobBundleConfiguration",
                            "ParameterSchemaField", "FineTuningResources"]
    assert [f[0] for f in MODELS["ModelTemplateRequest"]] == list(
        ModelTemplateRequest.model_fields)
    assert MODELS["ParameterSchemaField"] == (
        ("name", ("str",), True, False),
        ("type", ("literal", ("str", "int", "float", "bool")), True, False),
        ("description", ("str",), True, False),
        ("required", ("bool",), True, False))
    assert fields_at(("vendor_configuration", "endpoint_config")) == [
        "cpus", "memory", "storage", "gpus", "gpu_type", "min_workers", "max_workers",
        "per_worker", "endpoint_type", "high_priority"]
    assert fields_at(("model_request_parameters_schema", "parameters", 3)) == [
        "name", "type", "description", "required"]
    assert fields_at(("vendor_configuration", "bundle_config", "env")) == []
    assert fields_at(("nope",)) == []


class _Loose(BaseModel):
    model_config = ConfigDict(strict=False, extra="forbid")
    a: str


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Float(_Strict):
    a: float


class _Validated(_Strict):
    a: str

    @field_validator("a")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class _Constrained(_Strict):
    a: int = Field(ge=0)


class _Union(_Strict):
    a: int | str


class _Defaulted(_Strict):
    a: int = 3


class _IntKeys(_Strict):
    a: dict[int, str]


@pytest.mark.parametrize(("model", "message"), [
    (_Loose, "_Loose is not strict with extra fields forbidden"),
    (_Float, "type <class 'float'>"),
    (_Validated, "_Validated has validators"),
    (_Constrained, "_Constrained.a has an alias or constraints"),
    (_Union, "_Union.a: a union int | str"),
    (_Defaulted, "_Defaulted.a: a default other than None"),
    (_IntKeys, "a dict whose keys are not strings: dict[int, str]"),
])
def test_the_generator_refuses_what_the_table_cannot_say(model: type[BaseModel],
                                                         message: str) -> None:
    models: dict[str, type[BaseModel]] = {}
    with pytest.raises(Unsupported) as caught:
        schema_shape.collect(model, models)
        schema_shape.fields(model, models)
    assert str(caught.value) == message


# ---------------------------------------------------------------------------- the corpus


def test_examples_and_the_full_template_agree() -> None:
    docs = [loaded(p.read_bytes()) for p in EXAMPLES] + [loaded(FULL.encode())]
    assert all(doc is not None and assert_agree(doc) == 0 for doc in docs)


def _cases(test: Callable[..., Any]) -> Iterator[dict[str, Any]]:
    """The arguments of each case of TEST's parametrize marks (one empty case if none)."""
    axes = []
    for mark in reversed(getattr(test, "pytestmark", [])):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else names
        rows = [v.values if isinstance(v, PARAM) else v for v in values]
        axes.append([dict(zip(names, row if len(names) > 1 else (row,), strict=True))
                     for row in rows])
    for combination in itertools.product(*axes):
        yield {k: v for case in combination for k, v in case.items()}


def harvested() -> list[bytes]:
    """Every content the rule and loader tests check, recorded by calling each test whose
    arguments all come from its parametrize marks (the tests still assert their outcome)."""
    recorded: list[bytes] = []

    def recording(real: Callable[[bytes, str], Any]) -> Callable[[bytes, str], Any]:
        def load(raw: bytes, path: str) -> Any:
            recorded.append(raw)
            return real(raw, path)
        return load

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "load_document", recording(checks.load_document))
        for path in HARVESTED:
            module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}"
                                             if path.parent.name != "tests"
                                             else f"tests.{path.stem}")
            if hasattr(module, "load_document"):
                patch.setattr(module, "load_document", recording(module.load_document))
            for name, test in vars(module).items():
                if not name.startswith("test_") or not inspect.isfunction(test):
                    continue
                for case in _cases(test):
                    if set(inspect.signature(test).parameters) == set(case):
                        test(**case)
    return list(dict.fromkeys(recorded))


def test_every_input_of_the_rule_and_loader_tests_agrees() -> None:
    inputs = harvested()
    docs = [doc for doc in map(loaded, inputs) if doc is not None]
    assert len(inputs) > 2000 and len(docs) > 250, (len(inputs), len(docs))
    assert sum(1 for doc in docs if assert_agree(doc)) > 80


def test_fuzz_mutants_and_listed_inputs_agree() -> None:
    inputs = [*test_fuzz._mutants(), *test_fuzz.LISTED.values()]
    docs = [doc for doc in map(loaded, inputs) if doc is not None]
    assert len(docs) > 45
    assert sum(1 for doc in docs if assert_agree(doc)) > 20


# ---------------------------------------------------------------------------- random edits

FIELD_NAMES = sorted({field[0] for fields in MODELS.values() for field in fields})
VALUES: list[Any] = [
    "x", "", " ", "1", "true", "null", "SYNC", "sync", " ASYNC ", "Streaming", "LAUNCH",
    "launch", "GENERATION", "str", "STR", "nvidia-tesla-t4", "NVIDIA-Tesla-T4", "16Gi",
    "/predict", "é日本", 0, 1, -5, 250, 2**70, 1.5, 0.0, -0.0, float("nan"), float("inf"), True,
    False, None, datetime.date(2024, 1, 31), datetime.datetime(2024, 1, 31, 10, 0, 0), [],
    ["a"], [1, None, "b"], [[]], {}, {"a": 1}, {"name": "x"}, {"parameters": []},
    {"registry": "r", "image": "i", "tag": "t"},
    {"name": "p", "type": "int", "description": "d", "required": True},
]


def _nodes(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of DATA itself and of everything under it."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _nodes(value, (*path, index))


def _typo(key: str, rng: random.Random) -> str:
    if not key:
        return "x"
    at = rng.randrange(len(key))
    return rng.choice([key[:at] + key[at + 1:], key[:at] + key[at] * 2 + key[at + 1:],
                       key.upper(), key + "s", key.replace("_", "-")])


def edit_data(data: dict[str, Any], rng: random.Random) -> None:
    """One random edit of a value, a type or a key, somewhere in DATA."""
    path = rng.choice(list(_nodes(data)))
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    node = parent[path[-1]] if path else data
    operator = rng.randrange(8)
    if operator == 0 and path:  # another value, maybe of another type
        parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
    elif operator == 1 and path and isinstance(parent, dict):  # a field goes missing
        del parent[path[-1]]
    elif operator == 2 and isinstance(node, dict):  # a key no model allows here, or a typo
        key = rng.choice([*FIELD_NAMES, "zz_extra", "Name", *(_typo(k, rng) for k in node)])
        node[key] = copy.deepcopy(rng.choice(VALUES))
    elif operator == 3 and path and isinstance(parent, dict):  # a key misspelt in place
        items = list(parent.items())
        parent.clear()
        for key, value in items:
            parent[_typo(key, rng) if key == path[-1] else key] = value
    elif operator == 4 and path:  # the value wrapped in a list
        parent[path[-1]] = [node]
    elif operator == 5 and isinstance(node, list):  # one more item, of any kind
        node.insert(rng.randint(0, len(node)), copy.deepcopy(rng.choice(VALUES)))
    elif operator == 6 and isinstance(node, dict) and node:  # the keys in another order
        items = list(node.items())
        rng.shuffle(items)
        node.clear()
        node.update(items)
    elif operator == 7 and path and isinstance(node, dict | list):  # a container as a scalar
        parent[path[-1]] = rng.choice(["x", 1, True, None, [], {}])


def random_documents() -> Iterator[Document]:
    """Seeded random edits (one to four each) of the examples and the full template, written
    back as YAML and loaded, so that the findings have their real positions."""
    rng = random.Random(SEED)
    seeds = [yaml.safe_load(p.read_text()) for p in EXAMPLES] + [yaml.safe_load(FULL)]
    for _ in range(RANDOM_EDITS):
        data = copy.deepcopy(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            edit_data(data, rng)
        doc = loaded(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False,
                               allow_unicode=True).encode())
        assert doc is not None
        yield doc


def test_seeded_random_edits_agree() -> None:
    counts = [assert_agree(doc) for doc in random_documents()]
    assert len(counts) == RANDOM_EDITS
    assert sum(1 for count in counts if count) > RANDOM_EDITS // 2


def test_the_walker_reports_pydantic_errors_exactly() -> None:
    """One document with an error of every kind, spelled out: what both must say."""
    doc = loaded(FULL.replace("name: full", "name: 1").replace("cpus: 4", 'cpus: "4"')
                 .replace("high_priority: false", "high_priority: 0")
                 .replace("endpoint_type: ASYNC\nmodel", "endpoint_type: async\nmodel")
                 .replace("command: [python, -m, server]", "command: [python, 1]")
                 .replace("env: {EPOCHS: \"3\"}", "env: [EPOCHS]")
                 .replace("    tag: \"1.0\"\n", "    tag: \"1.0\"\n    extra: x\n")
                 .replace("resources: {", "resources: {zz: 1, ")
                 .replace("  parameters:\n    - {name: weights", "  parameters:\n    - 3\n"
                                                                 "    - {name: weights")
                 .replace("account_id: acct-full\n", "").encode())
    assert doc is not None
    bundle = ("vendor_configuration", "bundle_config")
    tuning = ("vendor_configuration", "fine_tuning_job_bundle_config")
    expected = [
        ModelError("string_type", ("name",), 1),
        ModelError("missing", ("account_id",), doc.data),
        ModelError("literal_error", ("endpoint_type",), "async",
                   ("SYNC", "ASYNC", "STREAMING", "BATCH")),
        ModelError("string_type", (*bundle, "command", 1), 1),
        ModelError("int_type", ("vendor_configuration", "endpoint_config", "cpus"), "4"),
        ModelError("bool_type", ("vendor_configuration", "endpoint_config", "high_priority"),
                   0),
        ModelError("dict_type", (*tuning, "env"), ["EPOCHS"]),
        ModelError("extra_forbidden", (*tuning, "resources", "zz"), 1),
        ModelError("extra_forbidden", (*tuning, "extra"), "x"),
        ModelError("model_type", ("model_creation_parameters_schema", "parameters", 0), 3),
    ]
    assert model_errors(doc.data) == expected
    assert assert_agree(doc) == len(expected)
