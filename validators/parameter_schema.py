"""Rule `parameter-schema`: the parameters a template exposes must be usable names.

Parameters become keyword names in the model's creation and request calls, so a name
that is duplicated or not an identifier cannot be passed, and an empty description
leaves the user of the template guessing.
"""

from __future__ import annotations

import keyword

from registry.findings import Finding, shown
from registry.loader import Document
from registry.rules import PARAMETER_SCHEMA

RULE = PARAMETER_SCHEMA
SCHEMAS = ("model_creation_parameters_schema", "model_request_parameters_schema")


def check(doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    for schema_name in SCHEMAS:
        schema = doc.data.get(schema_name)
        parameters = schema.get("parameters") if isinstance(schema, dict) else None
        if not isinstance(parameters, list):
            continue
        seen: dict[str, int] = {}
        for index, parameter in enumerate(parameters):
            if not isinstance(parameter, dict):
                continue
            base = (schema_name, "parameters", index)
            name = parameter.get("name")
            if isinstance(name, str):
                if not name.isidentifier() or keyword.iskeyword(name):
                    findings.append(doc.finding(
                        RULE, (*base, "name"),
                        f"parameter name {shown(name)} is not an identifier (letters, digits and "
                        "underscores, not starting with a digit)", prefer="value"))
                if name in seen:
                    first_line = doc.position((schema_name, "parameters",
                                               seen[name], "name"), prefer="value")[0]
                    findings.append(doc.finding(
                        RULE, (*base, "name"),
                        f"parameter {shown(name)} is defined twice in {schema_name} (first at line "
                        f"{first_line})", prefer="value"))
                else:
                    seen[name] = index
            description = parameter.get("description")
            if isinstance(description, str) and not description.strip():
                findings.append(doc.finding(
                    RULE, (*base, "description"),
                    "the parameter's description is empty; say what it does and its unit",
                    prefer="value"))
    return findings
