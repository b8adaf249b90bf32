"""Checks of the API's answers before anything is planned from them: answers are untrusted.

`plan` and `sync` turn every listed template into actions run with a key that may delete
every template, so a listing is refused as a whole (nothing is planned from it) when:
- a page is not `{"items": [...], ...}`, or an item is not an object with string `id`,
  `name` and `account_id`, or its `account_id` is not the account that was listed;
- an id is not a plain identifier (`TEMPLATE_ID`): ids go into URL paths, and an id
  such as `../../admin/x` would send the next request elsewhere. A leading dot is
  impossible, so `..` never is a whole id;
- the server does not advance (`current_page` is not the page asked for), or the pages
  never end: at most the pages the first `total_item_count` needs at the server's
  `items_per_page`, plus one of slack, and never more than `MAX_PAGES` pages or
  `MAX_ITEMS` templates.
The same id on two pages is one template (offset pages shift under concurrent writes):
items are merged by id, else the plan would "dedupe" a template against itself.

Pure functions, no I/O; messages quote values cut short (`shown`), never whole answers.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from typing import Any

TEMPLATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
MAX_PAGES = 1000
MAX_ITEMS = 1_000_000
MAX_PROBLEMS = 5  # listed in one message; the rest are counted

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlist = _REPR.maxdict = 3
_REPR.maxlevel = 2


class AnswerError(ValueError):
    """An answer that must not be used; the message says what is wrong with it."""


def is_plain_id(value: object) -> bool:
    """True for an id that is safe as one URL path segment (see the module doc)."""
    return isinstance(value, str) and TEMPLATE_ID.fullmatch(value) is not None


def shown(value: object) -> str:
    """A value as it may appear in a message: its repr, cut to a few dozen characters."""
    return _REPR.repr(value)


def kind(value: object) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass(frozen=True)
class Page:
    """One list answer, checked: its items are objects with plain ids of the account."""

    items: list[dict[str, Any]]
    total: int | None
    current: int | None
    per_page: int | None


def read_page(data: Any, account_id: str, *, models: bool = False) -> Page:
    """The page in DATA (a decoded list answer for ACCOUNT_ID); AnswerError if malformed.

    A model's `model_template_id`, when present, must be a plain identifier too: the plan
    moves models by it.
    """
    if not isinstance(data, dict):
        raise AnswerError(f"the answer is {kind(data)}, not an object")
    if "items" not in data:
        raise AnswerError("the answer has no items")
    items = data["items"]
    if not isinstance(items, list):
        raise AnswerError(f"items is {kind(items)}, not a list")
    problems = [p for i, item in enumerate(items)
                if (p := item_problem(item, i, account_id) or (
                    models and _template_id_problem(item, i)))]
    if problems:
        more = len(problems) - MAX_PROBLEMS
        listed = "; ".join(problems[:MAX_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
        raise AnswerError(f"malformed items: {listed}")
    return Page(items, _count(data, "total_item_count", 0), _count(data, "current_page", 1),
                _count(data, "items_per_page", 1))


def item_problem(item: Any, index: int, account_id: str) -> str | None:
    """What is wrong with the INDEXth item of a listing of ACCOUNT_ID, or None."""
    if not isinstance(item, dict):
        return f"item {index} is {kind(item)}, not an object"
    for name in ("id", "name", "account_id"):
        if name not in item:
            return f"item {index} has no {name}"
        if not isinstance(item[name], str):
            return f"item {index}: {name} is {kind(item[name])}, not a string"
    if not is_plain_id(item["id"]):
        return f"item {index}: id {shown(item['id'])} is not a plain identifier"
    if item["account_id"] != account_id:
        return (f"item {index} (id {shown(item['id'])}) belongs to account "
                f"{shown(item['account_id'])}, not to {account_id!r} that was listed")
    return None


def _template_id_problem(item: dict[str, Any], index: int) -> str | None:
    value = item.get("model_template_id")
    if value is None or is_plain_id(value):
        return None
    return f"item {index}: model_template_id {shown(value)} is not a plain identifier"


def _count(data: dict[str, Any], name: str, minimum: int) -> int | None:
    """An optional whole number of the answer; AnswerError when present but not one."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise AnswerError(f"{name} is {shown(value)}, not a whole number >= {minimum}")
    return value


class Listing:
    """The pages of one account, merged by id, with the bounds a lying server meets.

    Ask for `page`, hand the answer to `add`, repeat until it returns True; `items` is
    then the listing (one item per id, in the order first seen).
    """

    def __init__(self, account_id: str, page_size: int, noun: str = "templates") -> None:
        self.account_id = account_id
        self.page_size = page_size
        self.noun = noun
        self.page = 1
        self.max_pages = MAX_PAGES
        self._announced = ""
        self._items: dict[str, dict[str, Any]] = {}

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self._items.values())

    def add(self, page: Page) -> bool:
        """Take the answer to `self.page`: True when the listing is complete, else advance.

        Complete: an empty page, or as many distinct ids as the page's total announces.
        """
        if page.current is not None and page.current != self.page:
            raise AnswerError(f"the answer is page {page.current}, not page {self.page} as asked: "
                              "the listing does not advance")
        if self.page == 1 and page.total is not None:
            per_page = page.per_page or self.page_size
            needed = -(-page.total // per_page)
            self.max_pages = min(MAX_PAGES, needed + 1)
            self._announced = (f" ({page.total:,} {self.noun} announced at {per_page} per "
                               "page)")
        if not page.items:
            return True
        for item in page.items:
            self._items.setdefault(item["id"], item)
        if len(self._items) > MAX_ITEMS:
            raise AnswerError(f"more than {MAX_ITEMS:,} {self.noun}: the listing is refused")
        if page.total is not None and len(self._items) >= page.total:
            return True
        if self.page >= self.max_pages:
            raise AnswerError(f"the listing did not end within {self.max_pages} pages"
                              f"{self._announced}")
        self.page += 1
        return False
