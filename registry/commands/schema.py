"""`template-registry schema`: the JSON Schema of a template file, for editors and CI.

The same text is committed at SCHEMA_FILE (`make schema` rewrites it; a test fails when it
is stale), so editors can point at a file in the repository or at its URL at a tag.
"""

from __future__ import annotations

import json

# Where this repository commits the schema, relative to its root.
SCHEMA_FILE = "schema/model-template.schema.json"


def schema_text() -> str:
    """The schema as printed and committed: sorted keys, 2-space indent, a final newline."""
    from registry.model import json_schema

    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def print_schema() -> int:
    print(schema_text(), end="")
    return 0
