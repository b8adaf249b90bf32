"""Finding identities: stable when lines move, unique in a report, fixed across releases."""

from __future__ import annotations

import hashlib
import json

from registry.findings import Finding
from registry.render.fingerprint import fingerprints

TAG = Finding("templates/a.yaml", 10, 10, "warning", "image-tag", "tag 'latest' moves")


def test_the_hash_is_fixed_so_identities_survive_upgrades() -> None:
    assert fingerprints([TAG]) == [
        "9d6251f2e0d5756a28244516983c920c665af41a027979cf77919c8b85703b73"]
    expected = json.dumps(["templates/a.yaml", "image-tag", "tag 'latest' moves", 0])
    assert fingerprints([TAG]) == [hashlib.sha256(expected.encode()).hexdigest()]


def test_moving_lines_keep_the_identity() -> None:
    moved = Finding(TAG.path, 25, 4, TAG.severity, TAG.rule, TAG.message)
    assert fingerprints([moved]) == fingerprints([TAG])


def test_numbers_in_a_message_are_left_out() -> None:
    """unique-name quotes the other file's line: editing that file must not change this one."""
    before = Finding("templates/a.yaml", 1, 7, "error", "unique-name",
                     "template name 'x' is also defined in templates/b.yaml:1")
    after = Finding("templates/a.yaml", 3, 7, "error", "unique-name",
                    "template name 'x' is also defined in templates/b.yaml:14")
    assert fingerprints([before]) == fingerprints([after])


def test_path_rule_and_message_each_change_the_identity() -> None:
    variants = [TAG,
                Finding("templates/b.yaml", 10, 10, "warning", "image-tag", TAG.message),
                Finding(TAG.path, 10, 10, "warning", "image-tag-empty", TAG.message),
                Finding(TAG.path, 10, 10, "warning", "image-tag", "tag 'main' moves")]
    assert len({fingerprints([found])[0] for found in variants}) == 4


def test_identical_findings_in_one_file_get_distinct_identities_by_rank() -> None:
    second = Finding(TAG.path, 30, 10, TAG.severity, TAG.rule, TAG.message)
    other_file = Finding("templates/b.yaml", 10, 10, TAG.severity, TAG.rule, TAG.message)
    prints = fingerprints([TAG, second, other_file])
    assert len(set(prints)) == 3
    assert prints[0] == fingerprints([TAG])[0]  # the first keeps rank 0
    assert prints[2] == fingerprints([other_file])[0]  # ranks count per file


def test_an_undecodable_file_name_is_hashed() -> None:
    found = Finding("templates/\udcff.yaml", 1, 1, "error", "schema", "m")
    (value,) = fingerprints([found])
    assert len(value) == 64
