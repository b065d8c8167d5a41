"""Fixtures shared by the unit tests (the browser tests add theirs from ``tests.e2e_helpers``)."""

from __future__ import annotations

import dataclasses

import pytest

from geo import settings


@pytest.fixture
def unit_speed(monkeypatch):
    """Fallback model with 1 minute = 60 m straight line (3.6 km/h on foot, detour factor 1)."""
    monkeypatch.setitem(settings.DETOUR_FACTORS, "walk", 1.0)
    monkeypatch.setitem(
        settings.MODES, "walk", dataclasses.replace(settings.MODES["walk"], speed_kmh=3.6)
    )


@pytest.fixture(scope="session")
def tmp_default_region(tmp_path_factory):
    """The default region, built once per test run into a temporary cache.

    Not named ``default_region``: the browser tests' fixture of that name builds into the
    app's own cache before the server starts.
    """
    from geo import region

    return region.load_region("default", cache_dir=tmp_path_factory.mktemp("default-cache"))
