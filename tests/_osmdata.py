"""Shared, once-per-session parsed OSM data for the network tests.

``functools.cache`` keeps the parsed north-bayreuth network for the whole
pytest process, so the test modules that need it share one parse.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from geo import _osm, network, settings

NB_OSM: Path = settings.data_dir() / "osm" / "north-bayreuth.osm.gz"


def require_nb() -> Path:
    if not NB_OSM.is_file():
        pytest.skip(f"real OSM test data missing: {NB_OSM}")
    return NB_OSM


@cache
def nb_ways() -> _osm.OsmWays:
    """north-bayreuth.osm.gz parsed through osmnx (XML path)."""
    return _osm.read_osm(require_nb())


@cache
def nb_networks() -> dict[str, network.Network]:
    """All four mode networks of north-bayreuth.osm.gz."""
    return network.build_networks(nb_ways())


def write_pbf(src: Path, dst: Path) -> Path:
    """Copy an OSM file to .osm.pbf with pyosmium's writer (no osmium-tool needed)."""
    import osmium

    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    return dst
