"""Every error a command raises, and the exit code it maps to.

Commands raise; `registry.cli.main` turns the error into a message and an exit code, in
one place. Import-light on purpose: the pre-commit hook imports this module.

Exit codes: 0 success; 1 findings with errors, failed actions, or an API failure;
2 usage, configuration, authentication, or templates that do not validate; 130 interrupted
(Ctrl-C, or an aborted prompt).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    INTERRUPTED = 130


class RegistryError(Exception):
    """A problem to report to the user as one message (never a traceback).

    `exit_code` is the class's default; a command may override it on an instance (plan
    --detailed-exitcode reports every error as 1). `prefixed` messages are shown as
    `template-registry: MESSAGE`; preformatted reports (a list of findings) are not.
    """

    exit_code: ExitCode = ExitCode.FAILED
    prefixed = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(RegistryError):
    """Usage, configuration or setup: a bad option or config, no key, an unsafe URL."""

    exit_code = ExitCode.USAGE


class InvalidTemplates(RegistryError):
    """The templates of a commit do not validate: nothing is planned (MESSAGE lists them)."""

    exit_code = ExitCode.USAGE
    prefixed = False


class UnsafeOperation(RegistryError):
    """Refused because it could lose data: a shallow clone, a rollback, a guard."""

    exit_code = ExitCode.USAGE


class ClientError(RegistryError):
    """Raised by the API client; its message never contains the API key."""

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class AuthError(ClientError):
    """The API refused the key (401) or the account (403)."""

    exit_code = ExitCode.USAGE


class ApiError(ClientError):
    """A call failed for good (after retries where they are safe), or answered nonsense."""
