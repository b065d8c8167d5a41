"""The load benchmark's sessions without a browser (``benchmarks/_wire.py``) drive the app
as a browser does: the server reruns with the sent widget states and saves what they add."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

import pytest

from tests.e2e_helpers import app_server, default_region  # noqa: F401  (fixtures)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

pytestmark = pytest.mark.e2e


def test_widget_key_is_the_user_key() -> None:
    from _wire import widget_key

    assert widget_key("$$ID-590b6ecf8222965cdc959ab676f58414-threshold") == "threshold"
    assert widget_key("$$ID-2ec61769a7a33acde8c5b4f99df0374c-sc_pick_Szenario 1") == (
        "sc_pick_Szenario 1"
    )
    assert widget_key("FormSubmitter:x") == "FormSubmitter:x"


def test_wire_session_changes_the_map_and_adds_a_site(app_server) -> None:  # noqa: F811
    import load
    from _wire import WireSession

    from geo import settings
    from geo.scenario import AddSite
    from geo.scenario_store import ScenarioStore, session_folder

    async def scenario() -> tuple[str, list[str], list]:
        w = WireSession(app_server.url)
        await w.open(120)
        try:
            token = load.parse_qs(w.query)["ws"][0]
            maps = [w.map_args]
            w.set_strings(load.WIRE_THRESHOLD, ["45 min"])
            await w.change(120)
            maps.append(w.map_args)
            w.set_string(load.WIRE_MODE, load.mode_labels()["car"])
            await w.change(120)
            maps.append(w.map_args)
            s = load.Session(0, token, rng=load.random.Random(0))
            s.wire = w
            spots = load.free_spots(settings.cache_dir(), "default")
            await load.wire_add_site(s, spots)
            assert not w.exceptions, w.exceptions
            return token, maps, s.sites
        finally:
            await w.close()

    # the browser tests' Playwright loop may run in this thread: a thread of its own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        token, maps, sites = pool.submit(asyncio.run, scenario()).result()
    assert all(maps) and len(set(maps)) == 3  # each change redrew the map
    folders = [f for f in session_folder(token).parent.glob(f"{token}*") if f.is_dir()]
    stored = [
        c
        for f in folders
        for name in ScenarioStore(f).names()
        for c in ScenarioStore(f).load(name).changes
        if isinstance(c, AddSite)
    ]
    assert len(stored) == 1 and len(sites) == 1
    from geo._crs import transformer

    x, y = transformer(settings.CRS_DISPLAY, settings.CRS_METRIC).transform(*sites[0])
    assert abs(stored[0].x - x) < 1 and abs(stored[0].y - y) < 1
