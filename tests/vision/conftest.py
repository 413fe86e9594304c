"""Fixtures shared by the vision tests."""
import pytest

import ember.hub as hub


@pytest.fixture
def hub_home(tmp_path, monkeypatch):
    """A fresh EMBER_HOME (no TORCH_HOME); the hub directory is <tmp>/home/hub, its checkpoints/ not made yet."""
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "hub"
