"""`template-registry schema`: the JSON Schema of a template file, for editors and CI."""

from __future__ import annotations

import json

from registry.model import json_schema


def print_schema() -> int:
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return 0
