"""The one equality of plan and sync: create fields only, empty optional fields absent."""

from __future__ import annotations

import json

from registry.compare import canonical, restrict, same_template
from tests.live_server import template_body
from tests.test_client import created


def test_same_template_ignores_nulls_empties_and_unknown_fields() -> None:
    body = template_body("a", "acct")
    remote = created(body)
    remote["vendor_configuration"] = {
        "vendor": "LAUNCH",
        "bundle_config": {**body["vendor_configuration"]["bundle_config"], "command": None,
                          "env": {}, "new_nested_field": 1},
        "endpoint_config": None,
    }
    assert same_template(body, remote)
    assert restrict(remote) == {k: remote[k] for k in (
        "name", "account_id", "endpoint_type", "model_type", "vendor_configuration",
        "model_creation_parameters_schema", "model_request_parameters_schema",
        "endpoint_protocol")}
    assert not same_template(body, {**remote, "endpoint_protocol": "SGP"})
    assert not same_template(body, {**remote, "name": "b"})
    changed = json.loads(json.dumps(remote))
    changed["vendor_configuration"]["bundle_config"]["tag"] = "2.0.0"
    assert not same_template(body, changed)


def test_canonical_drops_server_fields_and_empties() -> None:
    body = template_body("m", "acct")
    remote = {**body, "id": "x", "created_at": "2026-01-01T00:00:00+00:00",
              "endpoint_protocol": None, "model_request_parameters_schema": None}
    assert canonical(remote) == canonical(body)
    assert "id" not in restrict(remote)
