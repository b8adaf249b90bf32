"""Monthly costs: the `cost` document (text, JSON, markdown) and the money notation the
plan's renderers share.

Amounts are shown in whole US dollars (`$1,186`), changes signed (`+$601`, `-$1,186`);
a template without a price shows "no price" and why, never $0. In markdown the dollar
sign is written `&#36;` (`dollars`): a pair of `$` would start GitHub's math notation.
"""

from __future__ import annotations

from registry.cost import CostReport, Delta, Estimate, Total
from registry.prices import BASIS, HOURS_PER_MONTH
from registry.render import formats, jsonfmt
from registry.render import markdown as md
from registry.render.listing import align
from registry.render.terminal import escape

HEADERS = ("ACCOUNT", "NAME", "INSTANCE", "WORKERS", "FLOOR", "CEILING", "PATH")
NOTE = (f"{BASIS} prices, {HOURS_PER_MONTH} hours a month: the floor at each template's "
        "min_workers, the ceiling at max_workers. A deployment may set its own worker "
        "counts, so real cost is set per deployment.")


def render_cost(report: CostReport, fmt: str) -> str:
    """REPORT in FMT (see formats.FORMATS["cost"])."""
    return formats.render("cost", fmt, report)


def money(value: float) -> str:
    """`$1,186`, `-$1,186`: whole dollars."""
    rounded = round(value)
    return f"-${-rounded:,}" if rounded < 0 else f"${rounded:,}"


def signed(value: float) -> str:
    """`+$601`, `-$1,186`, or `$0`: a change."""
    return "+" + money(value) if round(value) > 0 else money(value)


def change_text(item: Delta | Total) -> str:
    """`+$601 to +$4,812` (floor to ceiling), or `unknown` without a price."""
    if isinstance(item, Delta) and (item.floor is None or item.ceiling is None):
        return "unknown (no price)"
    assert item.floor is not None and item.ceiling is not None
    if round(item.floor) == round(item.ceiling):
        return signed(item.floor)
    return f"{signed(item.floor)} to {signed(item.ceiling)}"


def dollars(text: str) -> str:
    """Our own amounts (digits, `$`, `,`, `+`, `-`, words) for markdown: `$` as `&#36;`."""
    return text.replace("$", "&#36;")


def span(item: Estimate | Total) -> str:
    """`$1,186 to $9,484`: floor to ceiling."""
    assert item.floor is not None and item.ceiling is not None
    if round(item.floor) == round(item.ceiling):
        return money(item.floor)
    return f"{money(item.floor)} to {money(item.ceiling)}"


def workers(item: Estimate) -> str:
    return (str(item.min_workers) if item.min_workers == item.max_workers
            else f"{item.min_workers}-{item.max_workers}")


def text(report: CostReport) -> str:
    """A table of the templates, the reasons for those without a price, the sums."""
    where = "the working tree" if report.ref is None else escape(report.ref)
    lines = [f"Monthly cost of the templates in {where}"]
    rows = []
    for row in report.rows:
        item = row.estimate
        priced = item.floor is not None and item.ceiling is not None
        rows.append((escape(row.account_id), escape(row.name),
                     item.instance if priced else "no price", workers(item) if priced else "-",
                     money(item.floor) if item.floor is not None else "-",
                     money(item.ceiling) if item.ceiling is not None else "-",
                     escape(row.path)))
    lines += align([HEADERS, *rows]) if rows else ["  (no templates)"]
    lines += [f"No price for {escape(row.account_id)}/{escape(row.name)}: "
              f"{escape(row.estimate.reason)}" for row in report.rows if not row.estimate.priced]
    lines += [f"{escape(account)}: {_sum(found)}"
              for account, found in report.by_account().items()]
    lines += [f"Total: {_sum(report.total)}", NOTE]
    return "\n".join(lines)


def json(report: CostReport) -> str:
    return jsonfmt.dumps({
        "ref": report.ref, "basis": BASIS, "hours_per_month": HOURS_PER_MONTH,
        "templates": [row.to_dict() for row in report.rows],
        "accounts": {account: found.to_dict() for account, found in report.by_account().items()},
        "total": report.total.to_dict(),
        "unreadable": list(report.unreadable),
    })


def markdown(report: CostReport) -> str:
    """A table of the templates, then one of the sums per account."""
    where = "the working tree" if report.ref is None else md.code(report.ref)
    lines = [f"### Monthly cost of the templates in {where}", "", NOTE, ""]
    if report.rows:
        lines += ["| account | name | instance | workers | floor | ceiling |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {md.code(r.account_id)} | {md.code(r.name)} | {_instance(r.estimate)} | "
                  f"{workers(r.estimate) if r.estimate.priced else '-'} | "
                  f"{_amount(r.estimate.floor)} | "
                  f"{_amount(r.estimate.ceiling)} |" for r in report.rows]
        lines.append("")
    lines += ["| account | floor | ceiling | without a price |", "|---|---|---|---|"]
    sums = [*report.by_account().items(), ("total", report.total)]
    lines += [f"| {md.code(name) if name != 'total' else '**total**'} | "
              f"{dollars(money(found.floor))} | {dollars(money(found.ceiling))} | "
              f"{found.unpriced} |" for name, found in sums]
    return "\n".join(lines)


def _sum(found: Total) -> str:
    unpriced = f" ({found.unpriced} template(s) without a price)" if found.unpriced else ""
    return f"{span(found)} a month{unpriced}"


def _instance(item: Estimate) -> str:
    """A markdown cell: the instance, or "no price" and why."""
    return md.code(item.instance) if item.priced else md.text(f"no price: {item.reason}")


def _amount(value: float | None) -> str:
    return dollars(money(value)) if value is not None else "no price"
