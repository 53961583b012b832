"""Third-party connectors are found through the `rsemigrate.connectors` entry-point group."""

import sys

import pytest
from click.testing import CliRunner

from rsemigrate import registry
from rsemigrate.cli import main
from rsemigrate.errors import InputError


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """Install a fake distribution (dist-info + module) that declares four entry points."""
    (tmp_path / "acme_connector.py").write_text(
        "from rsemigrate.connector import Connector\n"
        "def read(tree, files):\n    return iter(())\n"
        "connector = Connector('acme', 'Acme Social export', read)\n"
        "zeta = Connector('zeta', 'Zeta export, declared under another name', read)\n"
        "not_a_connector = object()\n"
    )
    dist = tmp_path / "acme_connector-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[rsemigrate.connectors]\n"
        "acme = acme_connector:connector\n"
        "broken = acme_connector_missing:connector\n"
        "odd = acme_connector:not_a_connector\n"
        "zeta-social = acme_connector:zeta\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.connectors.cache_clear()
    yield
    registry.connectors.cache_clear()
    sys.modules.pop("acme_connector", None)


def test_a_third_party_connector_is_discovered_and_broken_ones_only_warn(plugin_dist):
    with pytest.warns(UserWarning) as warned:
        found = registry.connectors()
    assert "acme" in found and "yammer" in found
    assert "broken" not in found and "odd" not in found
    messages = " ".join(str(w.message) for w in warned)
    assert "'broken'" in messages and "failed to load" in messages and "'odd'" in messages
    result = CliRunner().invoke(main, ["export", "--help"])
    assert "acme" in result.output


def test_unknown_source_connector_lists_the_installed_ones():
    registry.connectors.cache_clear()
    with pytest.raises(InputError, match="installed: .*yammer"):
        registry.source_connector("myspace")


def test_a_command_for_one_platform_loads_that_connector_alone(plugin_dist):
    """`export yammer` must not import every other connector's reader (a fifth of a second of
    every start); a plugin declared under another name than its own is still found."""
    import subprocess

    code = ("import sys\nfrom rsemigrate.registry import source_connector\n"
            "assert source_connector('yammer').name == 'yammer'\n"
            "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('connectors.')}))\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['yammer']"
    assert registry.connector("acme").name == "acme"
    with pytest.warns(UserWarning):  # the broken plugins, loaded in the search for zeta's entry point
        assert registry.connector("zeta").name == "zeta"
    assert registry.connector("myspace") is None
