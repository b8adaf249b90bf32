"""`status`: each template of a commit with its remote id(s) and state, as a table or JSON."""

from __future__ import annotations

from registry.render import formats, jsonfmt
from registry.render.listing import align
from registry.render.terminal import escape
from registry.status import Status

HEADERS = ("STATE", "ACCOUNT", "NAME", "PATH", "REMOTE ID(S)", "MODELS")


def render_status(status: Status, fmt: str) -> str:
    """STATUS in FMT (see formats.FORMATS["status"])."""
    return formats.render("status", fmt, status)


def text(status: Status) -> str:
    """A table of the commit's templates, then those git does not manage, then counts."""
    rows = [(row.state, escape(row.account_id), escape(row.name), escape(row.path),
             ", ".join(escape(i) for i in row.remote_ids) or "-",
             ", ".join(escape(m.name) for m in row.models) or "-") for row in status.rows]
    lines = [f"Status of {escape(status.ref)} ({escape(status.commit[:12])})"]
    lines += align([HEADERS, *rows]) if rows else ["  (no templates in this commit)"]
    if status.unmanaged:
        lines += ["", f"Not managed ({len(status.unmanaged)}: made by hand; "
                      "`template-registry import` writes them into git):"]
        lines += align([("ACCOUNT", "NAME", "REMOTE ID(S)"),
                        *[(escape(a), escape(n), ", ".join(escape(i) for i in ids))
                          for a, n, ids in status.unmanaged]])
    lines.append(f"{status.count('in sync')} in sync, {status.count('differs')} differ, "
                 f"{status.count('missing')} missing, {len(status.unmanaged)} not managed.")
    return "\n".join(lines)


def json(status: Status) -> str:
    return jsonfmt.dumps(status.to_dict())
