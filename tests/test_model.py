"""The exported JSON Schema agrees with the pydantic model on valid and invalid templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from registry import model
from registry.cli import main
from registry.commands.schema import SCHEMA_FILE, schema_text
from registry.model import CREATE_FIELDS, ModelTemplateRequest, json_schema
from tests.helpers import BASE

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "templates").rglob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def base() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BASE)
    return data


def invalid_cases() -> list[dict[str, Any]]:
    cases = []
    for mutate in (
        lambda d: d.pop("name"),
        lambda d: d.update(endpoint_type="sync"),
        lambda d: d.update(name=1.1),
        lambda d: d.update(vendor_configuraton={}),
        lambda d: d["vendor_configuration"]["bundle_config"].update(tag=110),
        lambda d: d["vendor_configuration"]["endpoint_config"].update(cpus="2"),
        lambda d: d["vendor_configuration"]["endpoint_config"].update(cpus=True),
        lambda d: d["vendor_configuration"]["endpoint_config"].update(gpu_type="nvidia-x"),
        lambda d: d["vendor_configuration"]["endpoint_config"].update(high_priority="yes"),
        lambda d: d["vendor_configuration"]["bundle_config"].update(env={"A": 1}),
        lambda d: d["vendor_configuration"].update(vendor="OTHER"),
        lambda d: d.update(model_request_parameters_schema={"parameters": [{"name": "a"}]}),
        lambda d: d.update(endpoint_protocol="HTTP"),
    ):
        data = base()
        mutate(data)
        cases.append(data)
    return cases


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_valid_for_model_and_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    ModelTemplateRequest.model_validate(data)
    VALIDATOR.validate(data)


@pytest.mark.parametrize("data", invalid_cases())
def test_schema_rejects_what_the_model_rejects(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ModelTemplateRequest.model_validate(data)
    assert not VALIDATOR.is_valid(data)


def test_create_fields_are_the_model_fields() -> None:
    assert set(CREATE_FIELDS) == set(ModelTemplateRequest.model_fields)


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == schema_text()
    printed = json.loads(out)
    assert printed == json.loads(json.dumps(json_schema()))
    assert printed["additionalProperties"] is False
    assert printed["required"] == ["name", "account_id", "endpoint_type", "model_type",
                                   "vendor_configuration"]


def test_the_committed_schema_is_current() -> None:
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema_text(), f"{SCHEMA_FILE} is stale: run `make schema`"


def test_editors_on_draft_7_judge_templates_as_the_model_does() -> None:
    """yaml-language-server implements JSON Schema draft 7: the committed schema (declared
    2020-12) must use nothing a draft 7 validator would read differently."""
    draft7 = jsonschema.Draft7Validator(json.loads((ROOT / SCHEMA_FILE).read_text()))
    for path in EXAMPLES:
        draft7.validate(yaml.safe_load(path.read_text()))
    assert not any(draft7.is_valid(data) for data in invalid_cases())


def test_every_field_of_every_model_is_described() -> None:
    classes = [value for value in vars(model).values() if isinstance(value, type)
               and issubclass(value, BaseModel) and value.__module__ == model.__name__]
    assert len(classes) == 10
    undescribed = [f"{cls.__name__}.{name}" for cls in classes
                   for name, field in cls.model_fields.items() if not field.description]
    assert undescribed == []


def test_the_schema_describes_every_property_for_editors() -> None:
    schema = json_schema()
    objects = [schema, *schema["$defs"].values()]
    assert all(obj["description"] for obj in objects)
    properties = [(name, spec) for obj in objects for name, spec in obj["properties"].items()]
    assert len(properties) == 50
    assert [name for name, spec in properties if not spec.get("description")] == []
    assert schema["properties"]["account_id"]["description"] == (
        "The ID of the account that owns the template.")
