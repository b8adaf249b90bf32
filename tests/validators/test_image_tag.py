from __future__ import annotations

import pytest

from registry.findings import has_errors
from registry.results import FileResult
from tests.helpers import BASE, edit, findings_of, messages_of


@pytest.mark.parametrize("tag", ["latest", "LATEST", "main", "nightly", "stable"])
def test_moving_tag_is_a_warning(tag: str) -> None:
    text = edit(BASE, 'tag: "1.0.0"', f"tag: {tag}")
    assert findings_of(text) == [(10, 10, "warning", "image-tag")]
    assert "pin a version" in messages_of(text)[0]


def test_warning_alone_is_not_an_error() -> None:
    from registry.checks import check_content

    result: FileResult = check_content(edit(BASE, 'tag: "1.0.0"', "tag: latest").encode(), "t")
    assert not has_errors(result.findings("t.yaml"))


def test_pinned_tags_and_digests_pass() -> None:
    assert findings_of(edit(BASE, 'tag: "1.0.0"', 'tag: "sha256-abc"')) == []
    assert findings_of(edit(BASE, 'tag: "1.0.0"', 'tag: "v2.3.1-cuda12"')) == []


def test_empty_tag_is_an_error() -> None:
    assert findings_of(edit(BASE, 'tag: "1.0.0"', 'tag: ""')) == [
        (10, 10, "error", "image-tag-empty")]
