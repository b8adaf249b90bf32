"""The command line's entry point: the one place errors become exit codes.

The commands themselves are click commands (registry.app). The pre-commit hook's usual
command lines are read without importing click (registry.fastpath): the hook runs on
every commit, and click's machinery costs it more than checking the edited file.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from registry.errors import ExitCode, RegistryError
from registry.fastpath import validate_args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code: the one place errors become codes.

    0 ok; 1 findings, failed actions or API failures; 2 usage, configuration or
    authentication; 130 interrupted (see registry.errors).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        hook = validate_args(args)
        if hook is not None:
            from registry.commands.validate import validate

            return validate(**hook)
        return _click(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except RegistryError as exc:
        from registry.render import terminal

        text = str(exc)  # may hold server answers, file names, git's messages: untrusted
        shown = (f"template-registry: {terminal.escape(text)}" if exc.prefixed
                 else terminal.preformatted(text))
        print(shown, file=sys.stderr)
        return int(exc.exit_code)


def _click(args: list[str]) -> int:
    """Run ARGS through the click commands; click's own errors become exit codes here."""
    import io

    import click

    from registry.app import cli
    from registry.render import terminal

    try:
        result = cli.main(args=args, prog_name="template-registry", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        usage = io.StringIO()
        exc.show(file=usage)
        # Click quotes the arguments given (as repr, mostly): keep its lines, show any
        # control character it left raw, defuse command lines.
        print(terminal.preformatted(usage.getvalue().rstrip("\n")), file=sys.stderr)
        return int(ExitCode.USAGE if exc.exit_code == 2 else exc.exit_code)
    except click.Abort:
        raise KeyboardInterrupt from None
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
