"""The pre-commit hook's command line, read without click.

`validate` runs on every commit, and importing click's machinery costs the hook more
than checking the edited file does. `validate_args` reads the command lines that hooks
and people write (paths, `--root`, `--format`, `--no-cache`, `--only-registry-files`,
`--`) exactly as the click command (registry.app) reads them. For anything else (`--help`,
a mistake, an option it does not know) it returns None, and click reads the command
line, with its help and its error messages. tests/test_fastpath.py holds the two
readings to each other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

# Flags: option -> (parameter, value when given).
_FLAGS = {"--no-cache": ("use_cache", False),
          "--only-registry-files": ("only_registry_files", True)}
# Options with a value: option -> parameter.
_VALUED = {"--root": "root", "--format": "fmt"}


def validate_args(args: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments of registry.commands.validate.validate for ARGS, or None when
    ARGS are not a plain `validate` command line (click then reads them)."""
    if not args or args[0] != "validate":
        return None
    from registry.render.formats import choices

    options: dict[str, Any] = {"root": None, "fmt": "text", "use_cache": True,
                               "only_registry_files": False}
    paths: list[str] = []
    rest = iter(args[1:])
    only_paths = False
    for arg in rest:
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        name, equals, value = arg.partition("=")
        if name in _FLAGS and not equals:
            parameter, given = _FLAGS[name]
            options[parameter] = given
        elif name in _VALUED:
            if not equals:
                value = next(rest, "-")
            if value.startswith("-"):
                return None  # a missing value, or one click may read otherwise
            options[_VALUED[name]] = value
        else:
            return None
    if options["fmt"] not in choices("findings"):
        return None
    if options["root"] is not None and os.path.isfile(options["root"]):
        return None  # click refuses it, with its message
    return {"paths": paths, **options}
