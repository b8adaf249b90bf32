from __future__ import annotations

from tests.helpers import BASE, findings_of, messages_of

PARAMS = BASE + """\
model_creation_parameters_schema:
  parameters:
    - name: model_weights_uri
      type: str
      description: Where the weights are.
      required: true
    - name: {second}
      type: int
      description: "{description}"
      required: false
"""


def test_valid_parameters() -> None:
    assert findings_of(PARAMS.format(second="max_len", description="Longest input.")) == []


def test_duplicate_parameter_name() -> None:
    text = PARAMS.format(second="model_weights_uri", description="Again.")
    assert findings_of(text) == [(27, 13, "error", "parameter-schema")]
    assert "defined twice" in messages_of(text)[0]
    assert "first at line 23" in messages_of(text)[0]


def test_non_identifier_name() -> None:
    text = PARAMS.format(second='"max-len"', description="Longest input.")
    assert findings_of(text) == [(27, 13, "error", "parameter-schema")]
    assert "not an identifier" in messages_of(text)[0]


def test_keyword_name() -> None:
    text = PARAMS.format(second="class", description="A keyword.")
    assert findings_of(text) == [(27, 13, "error", "parameter-schema")]


def test_empty_description() -> None:
    text = PARAMS.format(second="max_len", description="  ")
    assert findings_of(text) == [(29, 20, "error", "parameter-schema")]
