"""The commands: thin click wrappers that hand plain arguments to `registry.commands`.

Each command's implementation is imported only when that command runs, so no command
pays for httpx, the server or git unless it uses them. `registry.cli.main` runs this
group and maps its errors to exit codes; the pre-commit hook's usual command lines do
not even import it (registry.fastpath).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from registry.enums import ENDPOINT_TYPES, GPU_TYPES, MODEL_TYPES
from registry.errors import ExitCode, RegistryError
from registry.render.formats import Kind, choices

if TYPE_CHECKING:
    from registry.commands.plan import Options


def _formats(kind: Kind) -> click.Choice[str]:
    """The `--format` choices of a kind of document (registry.render.formats)."""
    return click.Choice(choices(kind))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="model-template-registry", prog_name="template-registry")
def cli() -> None:
    """Manage model templates as YAML files in git: validate, plan, sync."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Registry root (default: the registry PATHS are in: the nearest folder up "
                   "whose pyproject.toml has [tool.template-registry]; else the nearest folder "
                   "up from here with pyproject.toml or .git).")
@click.option("--format", "fmt", type=_formats("findings"), default="text", show_default=True)
@click.option("--no-cache", is_flag=True, help="Do not read or write the validation cache.")
@click.option("--only-registry-files", is_flag=True,
              help="Of PATHS, check only templates and patches; ignore other files (for hooks "
                   "that pass any YAML file).")
def validate(paths: tuple[str, ...], root: str | None, fmt: str, no_cache: bool,
             only_registry_files: bool) -> int:
    """Validate template files (all of them, or PATHS as pre-commit passes them)."""
    from registry.commands.validate import validate as run

    return run(list(paths), root=root, fmt=fmt, use_cache=not no_cache,
               only_registry_files=only_registry_files)


@cli.command()
@click.option("--format", "fmt", type=_formats("rules"), default="text", show_default=True)
def rules(fmt: str) -> int:
    """List every rule: id, default severity, scope, what it catches."""
    from registry.render.rules import render_rules
    from registry.rules import RULES

    print(render_rules(RULES, fmt))
    return 0


@cli.command()
@click.argument("rule_id", metavar="RULE-ID")
def explain(rule_id: str) -> int:
    """Explain one rule: what it catches, why, a bad example and the fix."""
    from registry.errors import ConfigError
    from registry.render.rules import explain as render
    from registry.rules import BY_ID, did_you_mean

    if rule_id not in BY_ID:
        raise ConfigError(f"no rule {rule_id!r}{did_you_mean(rule_id)}; "
                          "`template-registry rules` lists them")
    print(render(BY_ID[rule_id]))
    return 0


@cli.command()
def schema() -> int:
    """Print the JSON Schema of a template file (for editors and other tools)."""
    from registry.commands.schema import print_schema

    return print_schema()


@cli.command()
@click.argument("name")
@click.option("--account", "account_id", required=True, help="The account that owns it.")
@click.option("--endpoint-type", type=click.Choice(ENDPOINT_TYPES), default="SYNC",
              show_default=True)
@click.option("--model-type", type=click.Choice(MODEL_TYPES), default="GENERIC",
              show_default=True)
@click.option("--gpu-type", type=click.Choice(GPU_TYPES), default=None,
              help="A GPU type (default: CPU only).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: templates/<account>/<name>.yaml).")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(name: str, account_id: str, endpoint_type: str, model_type: str, gpu_type: str | None,
        output: str | None, root: str | None, force: bool) -> int:
    """Write a valid starter template named NAME."""
    from registry.commands.new import new_template

    return new_template(name, account_id=account_id, endpoint_type=endpoint_type,
                        model_type=model_type, gpu_type=gpu_type, output=output, root=root,
                        force=force)


@cli.command("list")
@click.option("--ref", default=None, help="List the templates of this git commit instead.")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--format", "fmt", type=_formats("list"), default="text", show_default=True)
def list_(ref: str | None, root: str | None, fmt: str) -> int:
    """List the registry's templates (working tree, or commit REF)."""
    from registry.commands.list import list_templates

    return list_templates(ref=ref, root=root, fmt=fmt)


@cli.command()
@click.option("--ref", default=None, help="Price the templates of this git commit instead.")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--format", "fmt", type=_formats("cost"), default="text", show_default=True)
def cost(ref: str | None, root: str | None, fmt: str) -> int:
    """Estimate each template's monthly cost, and the totals per account."""
    from registry.commands.cost import cost_command

    return cost_command(ref=ref, root=root, fmt=fmt)


@cli.command()
@click.option("--env", "envs", multiple=True, required=True, metavar="NAME",
              help="An environment (give two: --env staging --env production).")
@click.option("--ref", default=None, help="Compare the templates of this git commit instead.")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--format", "fmt", type=_formats("diff"), default="text", show_default=True)
def diff(envs: tuple[str, ...], ref: str | None, root: str | None, fmt: str) -> int:
    """Show how two environments' rendered templates differ, field by field."""
    from registry.commands.diff import diff_command

    return diff_command(envs, ref=ref, root=root, fmt=fmt)


@cli.command()
@click.option("--env", "name", default=None, metavar="NAME", help="Only this environment.")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--format", "fmt", type=_formats("environments"), default="text",
              show_default=True)
def environments(name: str | None, root: str | None, fmt: str) -> int:
    """List the environments: base URL, key variable, overlay, accounts (for CI too)."""
    from registry.commands.environments import environments_command

    return environments_command(root=root, name=name, fmt=fmt)


def _sync_options(command: Callable[..., int]) -> Callable[..., int]:
    """The options plan and sync share."""
    for option in reversed((
        click.option("--ref", default="HEAD", show_default=True,
                     help="The commit whose templates are the desired state."),
        click.option("--root", type=click.Path(file_okay=False), default=None),
        click.option("--prune", is_flag=True,
                     help="Also delete templates never defined in git (made by hand)."),
        click.option("--api-url", default=None,
                     help="API base URL (else SGP_CLIENT_BASE_URL, config base_url, "
                          "production)."),
        click.option("--allow-deletes", type=click.IntRange(min=0), default=None,
                     metavar="N",
                     help="Allow up to N deletes, past max_deletes and the guard against "
                          "emptying an account."),
        click.option("--adopt", is_flag=True,
                     help="Replace templates made by hand whose name a file now uses "
                          "(takeovers)."),
        click.option("--call-timeout", type=click.FloatRange(min=0, min_open=True),
                     default=60.0, show_default=True,
                     help="Seconds one API call may take, retries and waits included."),
        ENV_OPTION,
    )):
        command = option(command)
    return command


ENV_OPTION = click.option(
    "--env", default=None, metavar="NAME",
    help="A configured environment: its base URL, key variable, accounts and patches.")
SHARED = ("ref", "root", "prune", "api_url", "allow_deletes", "adopt", "call_timeout", "env")


def _options(kwargs: dict[str, Any]) -> Options:
    """The shared options of plan and sync, taken out of a command's KWARGS."""
    from registry.commands.plan import Options

    return Options(**{name: kwargs.pop(name) for name in SHARED})


@cli.command()
@_sync_options
@click.option("--format", "fmt", type=_formats("plan"), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 without changes, 2 with changes, 1 on any error.")
@click.option("--fail-on-breaking", is_flag=True,
              help="Exit 1 when a planned change breaks models or their callers.")
def plan(fmt: str, detailed_exitcode: bool, fail_on_breaking: bool, **shared: Any) -> int:
    """Show what sync would change (read-only)."""
    from registry.commands.plan import plan_command

    try:
        return plan_command(_options(shared), fmt=fmt, detailed_exitcode=detailed_exitcode,
                            fail_on_breaking=fail_on_breaking)
    except RegistryError as exc:
        if detailed_exitcode:  # as Terraform: 2 means "changes", so every error is 1
            exc.exit_code = ExitCode.FAILED
        raise


@cli.command()
@_sync_options
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="API calls in flight at once.")
@click.option("--format", "fmt", type=_formats("sync"), default="text", show_default=True)
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="Also write the JSON report to this file (e.g. a CI artifact).")
@click.option("--allow-rollback", is_flag=True,
              help="Sync a commit older than the last one synced (the API goes back to it).")
@click.option("--no-record", is_flag=True,
              help="Neither check nor write the last-synced record (local experiments).")
@click.option("--force-delete-used", is_flag=True,
              help="Delete templates that models still use (the models keep a dangling id).")
def sync(dry_run: bool, parallelism: int, fmt: str, report: str | None,
         allow_rollback: bool, no_record: bool, force_delete_used: bool,
         **shared: Any) -> int:
    """Push the templates of a commit to the API: create, replace, delete."""
    from registry.commands.sync import sync_command

    return sync_command(_options(shared), fmt=fmt, dry_run=dry_run, parallelism=parallelism,
                        report_file=report, allow_rollback=allow_rollback,
                        record=not no_record, force_delete_used=force_delete_used)


@cli.command("import")
@click.option("--account", "accounts", multiple=True,
              help="Account to import from (repeat); default: the accounts table, else the "
                   "accounts of the templates.")
@click.option("--name", "name_glob", default=None, metavar="GLOB",
              help="Import only templates whose name matches GLOB (fnmatch, case-sensitive).")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--api-url", default=None,
              help="API base URL (else SGP_CLIENT_BASE_URL, config base_url, production).")
@click.option("--dry-run", is_flag=True, help="Print the files and their content; write nothing.")
@click.option("--format", "fmt", type=_formats("import"), default="text", show_default=True)
@click.option("--ignore-findings", is_flag=True,
              help="Write an ignore comment above each line with a finding.")
@ENV_OPTION
def import_(accounts: tuple[str, ...], name_glob: str | None, root: str | None,
            api_url: str | None, dry_run: bool, fmt: str, ignore_findings: bool,
            env: str | None) -> int:
    """Write templates made by hand (UI or API) that no file defines into files."""
    from registry.commands.import_ import import_command

    return import_command(accounts, name_glob=name_glob, root=root, api_url=api_url,
                          dry_run=dry_run, fmt=fmt, ignore_findings=ignore_findings,
                          env=env)


@cli.command()
@click.option("--ref", default="HEAD", show_default=True, help="The commit to compare.")
@click.option("--root", type=click.Path(file_okay=False), default=None)
@click.option("--api-url", default=None,
              help="API base URL (else SGP_CLIENT_BASE_URL, config base_url, production).")
@click.option("--format", "fmt", type=_formats("status"), default="text", show_default=True)
@ENV_OPTION
def status(ref: str, root: str | None, api_url: str | None, fmt: str, env: str | None) -> int:
    """Show each template of a commit with its remote id(s): in sync, differs, missing."""
    from registry.commands.plan import Options
    from registry.commands.status import status_command

    return status_command(Options(ref, root, api_url=api_url, env=env), fmt=fmt)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int,
              help="Port; 0 picks a free one (printed).")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="SQLite file (default: in memory).")
@click.option("--api-key", envvar="TEMPLATE_REGISTRY_SERVE_API_KEY", default=None,
              help="The key clients must send in x-api-key.")
@click.option("--account", "accounts", multiple=True,
              help="Account the key may act in (repeat); default: any.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0)
@click.option("--fault-rate", type=click.FloatRange(0.0, 1.0), default=0.0)
@click.option("--fault-seed", type=int, default=0)
@click.option("--fault-kinds", default=None,
              help="Faults to inject, comma-separated, from 500, 503, 429, drop, drop-after, "
                   "trickle, stuck-page, endless, repeat-id, malformed (default: the first "
                   "five).")
@click.option("--max-page-size", type=click.IntRange(min=1), default=None,
              help="Answer at most N items per list page, whatever limit asks.")
@click.option("--refuse-used-template-delete", is_flag=True,
              help="Answer 409 to deleting a template that models still use (default: "
                   "delete it; the models keep the dangling id).")
@click.option("--request-log", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Append one line per API request to FILE: METHOD PATH STATUS.")
@click.option("--insecure", is_flag=True, help="Start without an API key (local play only).")
def serve(host: str, port: int, db: str | None, api_key: str | None,
          accounts: tuple[str, ...], latency_ms: float, fault_rate: float, fault_seed: int,
          fault_kinds: str | None, max_page_size: int | None,
          refuse_used_template_delete: bool, request_log: str | None, insecure: bool) -> int:
    """Run a local model-templates and models API (for the demo, tests and your own CI)."""
    from registry.server.main import serve as run

    return run(host=host, port=port, db=db, api_key=api_key, accounts=list(accounts),
               latency_ms=latency_ms, fault_rate=fault_rate, fault_seed=fault_seed,
               fault_kinds=fault_kinds, max_page_size=max_page_size,
               refuse_used_template_delete=refuse_used_template_delete,
               request_log=request_log, insecure=insecure)
