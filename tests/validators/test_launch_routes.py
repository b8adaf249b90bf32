"""Rule `launch-routes`: routes, streaming needs, and endpoint type agreement."""

from __future__ import annotations

from tests.helpers import BASE, edit, findings_of, messages_of

STREAMING = edit(BASE, "endpoint_type: SYNC", "endpoint_type: STREAMING")


def test_route_needs_leading_slash() -> None:
    text = edit(BASE, "predict_route: /predict", "predict_route: predict")
    assert findings_of(text) == [(13, 20, "error", "launch-routes")]
    assert messages_of(text) == ["predict_route 'predict' must start with '/' (e.g. '/predict')"]


def test_streaming_without_streaming_route_or_command() -> None:
    assert findings_of(STREAMING) == [(7, 3, "error", "launch-routes"),
                                      (7, 3, "error", "launch-routes")]
    messages = messages_of(STREAMING)
    assert any("streaming_command" in m for m in messages)
    assert any("streaming_predict_route" in m for m in messages)


def test_streaming_complete_is_valid() -> None:
    text = edit(STREAMING, "    predict_route: /predict\n",
                "    predict_route: /predict\n    streaming_command: [python, -m, server]\n"
                "    streaming_predict_route: /stream\n")
    assert findings_of(text) == []


def test_streaming_with_empty_command() -> None:
    text = edit(STREAMING, "    predict_route: /predict\n",
                "    predict_route: /predict\n    streaming_command: []\n"
                "    streaming_predict_route: /stream\n")
    assert findings_of(text) == [(14, 5, "error", "launch-routes")]


def test_endpoint_config_type_must_match() -> None:
    text = edit(BASE, "    per_worker: 4\n", "    per_worker: 4\n    endpoint_type: ASYNC\n")
    assert findings_of(text) == [(21, 20, "error", "launch-routes")]
    assert "must be equal" in messages_of(text)[0]
    same = text.replace("endpoint_type: ASYNC", "endpoint_type: SYNC")
    assert findings_of(same) == []
