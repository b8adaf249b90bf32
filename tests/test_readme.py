"""The README's template example is the example file, byte for byte."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "templates/genai/mistral-7b-streaming.yaml"


def test_readme_example_is_the_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The template format", 1)[1].split("\n## ", 1)[0]
    assert f"(`{EXAMPLE}`)" in section
    shown = section.split("```yaml\n", 1)[1].split("```\n", 1)[0]
    assert shown == (ROOT / EXAMPLE).read_text(encoding="utf-8")


def test_the_rule_table_is_the_catalogue() -> None:
    from scripts.update_readme import updated

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == updated(readme), "README's rule table is stale: run `make readme`"
