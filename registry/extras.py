"""The optional dependencies: the error a command gives when its extra is not installed.

The base install (`pip install model-template-registry`, and the pre-commit hook's
environment) has what `validate` needs and nothing more. plan, sync and status need the
`sync` extra (httpx, GitPython), serve the `serve` extra (FastAPI, uvicorn). The module
that imports such a package catches the missing import and raises `missing_extra(...)`,
so the user reads which extra to install (exit 2) instead of a traceback.
"""

from __future__ import annotations

from registry.errors import ConfigError

PACKAGE = "model-template-registry"


def missing_extra(extra: str, error: ImportError) -> ConfigError:
    """The error for a command whose optional dependencies (EXTRA) are not installed."""
    module = error.name or "?"
    return ConfigError(f"this command needs the {extra!r} extra, which is not installed "
                       f"(no module {module!r}): pip install '{PACKAGE}[{extra}]'")
