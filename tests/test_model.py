"""The exported JSON Schema agrees with the pydantic model on valid and invalid templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from registry.cli import main
from registry.model import CREATE_FIELDS, ModelTemplateRequest, json_schema
from tests.helpers import BASE

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "templates").rglob("*.yaml"))
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
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(json_schema()))
    assert printed["additionalProperties"] is False
    assert printed["required"] == ["name", "account_id", "endpoint_type", "model_type",
                                   "vendor_configuration"]
