"""Rule `launch-routes`: routes, the commands Launch needs, and endpoint type agreement."""

from __future__ import annotations

import pytest

from tests.helpers import BASE, edit, findings_of, messages_of

ERROR = "error"
RULE = "launch-routes"
# STREAMING with per_worker 1 (Launch's rule, checked by launch-resources) and no streaming
# fields yet; the bundle's last line is predict_route (13), so added fields start at 14.
STREAMING = edit(edit(BASE, "endpoint_type: SYNC", "endpoint_type: STREAMING"),
                 "per_worker: 4", "per_worker: 1")
NEEDS_COMMAND = ("a STREAMING template needs bundle_config.streaming_command: the command that "
                 "serves the streaming route")
NEEDS_ROUTE = ("a STREAMING template needs bundle_config.streaming_predict_route, e.g. "
               "'/generate_stream'")


def bundle_plus(text: str, lines: str) -> str:
    """TEXT with LINES added to bundle_config after predict_route (from line 14 on)."""
    return edit(text, "    predict_route: /predict\n", "    predict_route: /predict\n" + lines)


def no_command(endpoint_type: str) -> str:
    return edit(edit(BASE, "endpoint_type: SYNC", f"endpoint_type: {endpoint_type}"),
                "    command: [python, -m, server]\n", "    streaming_command: [python, -m, s]\n")


@pytest.mark.parametrize(("route", "column"), [("healthcheck_route", 24),
                                               ("predict_route", 20)])
def test_route_needs_leading_slash(route: str, column: int) -> None:
    old = {"healthcheck_route": "/healthz", "predict_route": "/predict"}[route]
    text = edit(BASE, f"{route}: {old}", f"{route}: {old[1:]}")
    assert findings_of(text) == [(12 if route == "healthcheck_route" else 13, column, ERROR, RULE)]
    assert messages_of(text) == [f"{route} {old[1:]!r} must start with '/' (e.g. {old!r})"]


def test_streaming_route_needs_leading_slash() -> None:
    text = bundle_plus(STREAMING, "    streaming_command: [python]\n"
                                  "    streaming_predict_route: ./stream\n")
    assert findings_of(text) == [(15, 30, ERROR, RULE)]
    assert messages_of(text) == [
        "streaming_predict_route './stream' must start with '/' (e.g. '/stream')"]


def test_streaming_without_streaming_route_or_command() -> None:
    assert findings_of(STREAMING) == [(7, 3, ERROR, RULE), (7, 3, ERROR, RULE)]
    assert messages_of(STREAMING) == [NEEDS_COMMAND, NEEDS_ROUTE]


def test_streaming_complete_is_valid() -> None:
    text = bundle_plus(STREAMING, "    streaming_command: [python, -m, server]\n"
                                  "    streaming_predict_route: /stream\n")
    assert findings_of(text) == []


def test_streaming_bundle_needs_no_plain_command() -> None:
    """Launch's streaming bundle defaults `command` to empty; a STREAMING endpoint is fine."""
    text = bundle_plus(no_command("STREAMING"), "    streaming_predict_route: /stream\n")
    assert findings_of(edit(text, "per_worker: 4", "per_worker: 1")) == []


def test_streaming_with_empty_command() -> None:
    text = bundle_plus(STREAMING, "    streaming_command: []\n"
                                  "    streaming_predict_route: /stream\n")
    assert findings_of(text) == [(14, 5, ERROR, RULE)]
    assert messages_of(text) == [NEEDS_COMMAND]


def test_streaming_with_empty_route_is_reported_once() -> None:
    text = bundle_plus(STREAMING, "    streaming_command: [python]\n"
                                  "    streaming_predict_route: ''\n")
    assert findings_of(text) == [(15, 30, ERROR, RULE)]
    assert messages_of(text) == ["streaming_predict_route '' must start with '/' (e.g. '/')"]


@pytest.mark.parametrize("endpoint_type", ["SYNC", "ASYNC"])
def test_streaming_bundle_for_sync_or_async_needs_a_command(endpoint_type: str) -> None:
    article = "an" if endpoint_type == "ASYNC" else "a"
    message = (f"{article} {endpoint_type} template whose bundle has a streaming_command needs a "
               "non-empty bundle_config.command: Launch refuses a non-streaming endpoint with "
               "no bundle command")
    text = no_command(endpoint_type)
    assert findings_of(text) == [(7, 3, ERROR, RULE)]
    assert messages_of(text) == [message]
    empty = edit(text, "    streaming_command:", "    command: []\n    streaming_command:")
    assert findings_of(empty) == [(11, 5, ERROR, RULE)]
    assert messages_of(empty) == [message]
    full = edit(text, "    streaming_command:", "    command: [python]\n    streaming_command:")
    assert findings_of(full) == []


def test_batch_with_streaming_bundle_and_no_command() -> None:
    """Launch checks the command for SYNC and ASYNC endpoints only."""
    assert findings_of(no_command("BATCH")) == []


@pytest.mark.parametrize(("lines", "expected"), [
    ("    streaming_command: serve\n    streaming_predict_route: /s\n",
     [(14, 24, ERROR, "schema")]),
    ("    streaming_command: [serve]\n    streaming_predict_route: [/s]\n",
     [(15, 30, ERROR, "schema")]),
])
def test_wrong_type_in_a_streaming_field_reported_once(
        lines: str, expected: list[tuple[int, int, str, str]]) -> None:
    assert findings_of(bundle_plus(STREAMING, lines)) == expected


def test_wrong_type_command_reported_once() -> None:
    text = edit(no_command("SYNC"), "    streaming_command:", "    command: python\n"
                                                           "    streaming_command:")
    assert findings_of(text) == [(11, 14, ERROR, "schema")]


def test_endpoint_config_type_must_match() -> None:
    text = edit(BASE, "    per_worker: 4\n", "    per_worker: 4\n    endpoint_type: ASYNC\n")
    assert findings_of(text) == [(21, 20, ERROR, RULE)]
    assert messages_of(text) == [
        "endpoint_config.endpoint_type is ASYNC but the template's endpoint_type is SYNC; they "
        "must be equal (or leave endpoint_config.endpoint_type out)"]
    same = text.replace("endpoint_type: ASYNC", "endpoint_type: SYNC")
    assert findings_of(same) == []


def test_endpoint_config_type_not_an_endpoint_type_reported_once() -> None:
    text = edit(BASE, "    per_worker: 4\n", "    per_worker: 4\n    endpoint_type: async\n")
    assert findings_of(text) == [(21, 20, ERROR, "schema")]
