"""`template-registry new`: write a starter template that passes every rule as written.

Its first line names the JSON Schema for editors (`# yaml-language-server: $schema=...`,
read by VS Code's YAML extension and every editor using yaml-language-server): the URL
configured as `schema`, else the path from the new file to the schema in the repository
(`schema` as a path, default schema/model-template.schema.json).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from registry.commands.schema import SCHEMA_FILE
from registry.config import Config, load_config
from registry.errors import ConfigError, RegistryError
from registry.render.terminal import escape

_STATIC = re.compile(r"^[^*?\[]*/")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_PLAIN = re.compile(r"^[^\s\x00-\x1f\x7f-\x9f]+$")  # fits in a comment line, one token


def new_template(name: str, *, account_id: str, endpoint_type: str = "SYNC",
                 model_type: str = "GENERIC", gpu_type: str | None = None,
                 output: str | None = None, root: str | None = None, force: bool = False) -> int:
    """Exit 0 when written; RegistryError (1) when the name is taken or the file exists,
    ConfigError (2) on bad input. Error messages quote values plainly: cli.main escapes
    them once (a repr would have its backslashes doubled again)."""
    config = load_config(root)
    if not name.strip() or name != name.strip():
        raise ConfigError("NAME must be non-empty, without surrounding spaces")
    clash = _existing(config, account_id, name)
    if clash:
        raise RegistryError(f"'{name}' is already defined for account '{account_id}' in {clash}")
    target = Path(output) if output else default_path(config, account_id, name)
    if target.exists() and not force:
        raise RegistryError(f"{target} exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = schema_reference(config, target)
    target.write_text(render(name, account_id, endpoint_type, model_type, gpu_type, schema),
                      encoding="utf-8")
    print(f"wrote {escape(str(target))}")
    return 0


def schema_reference(config: Config, target: Path) -> str | None:
    """What the editor line of TARGET names: the configured URL as written, else the path
    from TARGET's folder to the schema file; None (with a note) when it cannot be written
    as one plain token."""
    configured = config.schema or SCHEMA_FILE
    if _URL.match(configured):
        return configured
    schema = config.root / configured
    reference = Path(os.path.relpath(schema, target.parent.resolve())).as_posix()
    if not _PLAIN.match(reference):
        print(f"note: no editor schema line: the path {escape(reference)} has spaces or "
              "control characters", file=sys.stderr)
        return None
    if not schema.is_file():
        print(f"note: {escape(configured)} does not exist yet; write it with `template-registry "
              f"schema > {escape(configured)}`, or set schema to the schema's URL in "
              "[tool.template-registry]", file=sys.stderr)
    return reference


def default_path(config: Config, account_id: str, name: str) -> Path:
    """templates/<account>/<slug>.yaml, or the fixed folder of the account's first glob."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "template"
    return account_folder(config, account_id) / f"{slug}.yaml"


def account_folder(config: Config, account_id: str) -> Path:
    """Where new files of the account go: the fixed folder of its first glob (the part
    before any wildcard), else templates/<account>/."""
    globs = config.accounts.get(account_id)
    if globs:
        static = _STATIC.match(globs[0])
        if static:
            return config.root / static.group(0)
    return config.templates_dir / account_id


def _existing(config: Config, account_id: str, name: str) -> str | None:
    from registry.files import scan
    from registry.validation import check_files
    from validators.unique_name import identity_key

    if not config.templates_dir.is_dir():
        return None
    wanted = identity_key(account_id, name)
    stats = scan(config.templates_dir, config.root)
    checked = check_files(config.root, list(stats), settings=config.content, stats=stats)
    return next((rel for rel, key in checked.keys.items() if key == wanted), None)


def render(name: str, account_id: str, endpoint_type: str, model_type: str,
           gpu_type: str | None, schema: str | None = None) -> str:
    """The starter template's YAML; strings are JSON-quoted, which YAML reads verbatim."""
    q = json.dumps
    streaming = endpoint_type == "STREAMING"
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines += [
        f"# {name}: created by `template-registry new`; edit, then run `template-registry "
        "validate`.",
        f"name: {q(name)}",
        f"account_id: {q(account_id)}",
        f"endpoint_type: {endpoint_type}",
        f"model_type: {model_type}",
        "vendor_configuration:",
        "  vendor: LAUNCH",
        "  bundle_config:",
        '    registry: "registry.example.com/models"',
        '    image: "my-model-server"',
        '    tag: "0.1.0"  # pin a version; moving tags such as latest are flagged',
        '    command: ["python", "-m", "server", "--port", "5005"]',
    ]
    if streaming:
        lines.append('    streaming_command: ["python", "-m", "server", "--port", "5005", '
                     '"--stream"]')
    lines += [
        '    healthcheck_route: "/healthz"',
        '    predict_route: "/predict"',
    ]
    if streaming:
        lines.append('    streaming_predict_route: "/stream"')
    lines += [
        "  endpoint_config:",
        "    cpus: 4" if gpu_type else "    cpus: 2",
        '    memory: "16Gi"' if gpu_type else '    memory: "4Gi"',
        '    storage: "40Gi"' if gpu_type else '    storage: "10Gi"',
    ]
    if gpu_type:
        lines += ["    gpus: 1", f"    gpu_type: {gpu_type}"]
    lines += [
        f"    min_workers: {0 if endpoint_type == 'ASYNC' else 1}",
        "    max_workers: 2",
        # Launch creates a STREAMING endpoint only with per_worker 1.
        f"    per_worker: {1 if streaming else 4}",
        "model_request_parameters_schema:",
        "  parameters:",
        "    - name: max_tokens",
        "      type: int",
        '      description: "Most tokens to generate."',
        "      required: false",
    ]
    return "\n".join(lines) + "\n"
