from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.config import find_root, load_config
from registry.errors import ConfigError


def write(root: Path, text: str) -> Path:
    (root / "pyproject.toml").write_text(text)
    return root


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.templates, config.base_url, config.accounts) == ("templates", None, {})
    assert (config.max_deletes, config.protect) == (10, ())


def test_rule_severities_and_the_launch_cluster(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        '[tool.template-registry.rules]\nimage-tag = "error"\nsecret = "off"\n'
        '[tool.template-registry.launch]\nscale_from_zero = true\n'
        '[tool.template-registry.launch.node_limits]\n'
        '"nvidia-tesla-t4" = {cpus = 15, memory = "60Gi"}\ncpu = {storage = "100Gi"}\n')))
    assert config.rules == {"image-tag": "error", "secret": "off"}
    assert config.launch.scale_from_zero is True
    assert config.launch.node_limits["nvidia-tesla-t4"] == (15, 60 * 2**30, 640 * 2**30)
    assert config.launch.node_limits[None] == (7, 30 * 2**30, 100 * 2**30)
    assert config.launch.node_limits["nvidia-ampere-a10"] == (63, 250 * 2**30, 640 * 2**30)


def test_deletion_guard_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        '[tool.template-registry]\nmax_deletes = 3\nprotect = ["acct-a/prod-*", "*/keep"]\n')))
    assert (config.max_deletes, config.protect) == (3, ("acct-a/prod-*", "*/keep"))


def test_full_table(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, (
        '[tool.template-registry]\ntemplates = "models/"\nbase_url = "http://127.0.0.1:1"\n'
        '[tool.template-registry.accounts]\n"a" = ["models/a/**"]\n')))
    assert config.templates == "models"
    assert config.templates_dir == tmp_path.resolve() / "models"
    assert config.accounts == {"a": ["models/a/**"]}


@pytest.mark.parametrize(("body", "message"), [
    ("templates = 3", "templates must be a folder name"),
    ('templates = "../x"', "inside the repository"),
    ("base_url = 1", "base_url must be a string"),
    ('accounts = {a = "x"}', "non-empty list of path globs"),
    ("accounts = {a = []}", "non-empty list of path globs"),
    ("unknown = 1", "unknown key(s) unknown"),
    ("max_deletes = -1", "max_deletes must be a whole number"),
    ("max_deletes = true", "max_deletes must be a whole number"),
    ('max_deletes = "5"', "max_deletes must be a whole number"),
    ('protect = "a/b"', "protect must be a list"),
    ('protect = ["no-slash"]', "protect must be a list"),
    ('protect = ["/name"]', "protect must be a list"),
    ('protect = ["acct/"]', "protect must be a list"),
    ('rules = {image-tagg = "off"}',
     "no rule 'image-tagg' (did you mean 'image-tag'?)"),
    ('rules = {image-tag = "info"}', "image-tag = 'info'; use one of 'off', 'warning', 'error'"),
    ("rules = 1", "rules must be a table"),
    ("launch = {scale_from_zero = 1}", "scale_from_zero must be true or false"),
    ("launch = {zero = true}", "unknown key(s) zero"),
    ('launch = {node_limits = {h100 = {cpus = 8}}}', "unknown gpu type 'h100'"),
    ('launch = {node_limits = {cpu = {cpus = 0}}}', "cpus must be a whole number, 1 or more"),
    ('launch = {node_limits = {cpu = {memory = "30GB"}}}', "memory must be a quantity"),
    ('launch = {node_limits = {cpu = {disk = "1Gi"}}}', "must be a table of cpus, memory"),
])
def test_invalid_tables(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, f"[tool.template-registry]\n{body}\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(tmp_path)


def test_broken_toml(tmp_path: Path) -> None:
    write(tmp_path, "[tool.template-registry\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)


def test_root_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "")
    (tmp_path / "templates/deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "templates/deep")
    assert find_root() == tmp_path.resolve()


def test_the_registry_of_files(tmp_path: Path) -> None:
    """The nearest folder up whose pyproject.toml has the table; other projects' files are
    passed over; a broken one that names the table counts (load_config then says why)."""
    from registry.config import registry_root

    write(tmp_path, "[project]\nname = 'monorepo'\n")
    models = tmp_path / "models"
    (models / "templates/deep").mkdir(parents=True)
    write(models, "[tool.template-registry.accounts]\na = ['templates/**']\n")
    tools = tmp_path / "tools"
    tools.mkdir()
    write(tools, "[tool.ruff]\nline-length = 100\n")
    broken = tmp_path / "broken"
    broken.mkdir()
    write(broken, "[tool.template-registry\n")
    assert registry_root([str(models / "templates/deep/a.yaml"),
                          str(models / "templates/b.yaml"), str(tmp_path / "top.yaml"),
                          str(tools / "c.yaml")]) == models
    assert registry_root([str(tools / "c.yaml"), str(tmp_path / "x.yaml")]) is None
    assert registry_root([]) is None
    assert registry_root([str(broken / "x.yaml")]) == broken
    with pytest.raises(ConfigError, match=re.escape(
            f"the files belong to several registries ({broken}, {models}); validate one at a "
            "time with --root")):
        registry_root([str(models / "a.yaml"), str(broken / "x.yaml")])
