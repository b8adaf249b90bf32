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


def test_adopting_an_existing_account_works_as_written(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.live_server import running_server, template_body

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adopting an existing account", 1)[1].split("\n## ", 1)[0]
    script = section.split("```bash\n", 1)[1].split("```\n", 1)[0]
    with running_server(api_key="readme-key") as server:
        with server.client() as client:
            for name in ("legacy-ranker", "Summarizer (v2)"):
                client.post("/v4/model-templates",
                            json=template_body(name, "acct-team")).raise_for_status()
        env = {**os.environ, "SGP_API_KEY": "readme-key", "SGP_CLIENT_BASE_URL": server.url,
               "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
               "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("Not managed: 2 template(s) in the managed accounts that no file ever defined, left "
            "alone: acct-team/Summarizer (v2), acct-team/legacy-ranker.") in done.stdout
    assert "Import: 2 written, 0 skipped, 0 duplicate(s), 0 failed; 0 finding(s)." in done.stdout
    assert "2 file(s) checked: no problems found." in done.stdout
    assert done.stdout.rstrip().endswith("Plan: 0 to create, 0 to replace, 0 to delete.")
    assert sorted(p.name for p in (tmp_path / "my-registry/templates/team").iterdir()) == [
        "legacy-ranker.yaml", "summarizer-v2.yaml"]
