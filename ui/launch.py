"""Start the app's server with the default region's shared caches filling in the background.

Run as a file: ``python ui/launch.py app.py [streamlit run options]`` (``nahraum app`` does
this). Streamlit starts exactly as ``streamlit run app.py …`` would, in this process;
meanwhile a daemon thread (:func:`preload`) imports the page's modules and fills the
``st.cache_resource`` entries every session shares – region, cell grid, networks, map
data and the rendered base map of the planning page – so the first visitor does not wait
for them (``thueringen``: about 3.5 s of its first map). ``st.cache_resource`` computes a
key once: a session that arrives while the thread is still working waits for the same
computation instead of starting its own. Errors are left to the sessions, which report
them in German (a failed preload caches nothing).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from pathlib import Path

REGION_ENV = "NAHRAUM_REGION"
SETTLE_AFTER_S = 20.0  # preload done → settle_heap


def preload(name: str, lang: str = "de", runtime_wait_s: float = 60.0) -> None:
    """Fill the shared caches of region ``name`` as the planning page's first run uses them.

    The page's modules are imported only once the server's runtime exists: a component
    module (``streamlit_folium``) imported outside a script run is not registered with the
    runtime, and its iframe would stay empty; :func:`_register_components` does it here.
    """
    from layers import map as maplayers
    from ui import state
    from ui.basemap import FOOTPRINT

    region = state.get_region(name)
    content_hash = str(region.meta.get("content_hash", ""))
    state.prepare_assets()
    state.get_cell_grid(name, content_hash)
    state.get_extent(name, content_hash)
    state.get_networks(name, content_hash)
    data = state.get_map_data(name, content_hash, lang)
    if not _wait_for_runtime(runtime_wait_s):
        return
    from ui import page  # noqa: F401 - the page's imports (about 1.3 s), once per process
    from ui.mapview import base_parts

    _register_components()
    options = maplayers.MapOptions(stops=False, online_tiles=False)
    base_parts(name, content_hash, lang, options, data, FOOTPRINT)


def _wait_for_runtime(timeout_s: float) -> bool:
    """Wait until Streamlit's runtime exists (the server started in the main thread)."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _register_components() -> None:
    """Register the map component with the runtime (``declare_component`` skips it
    outside a script run; the first session's run would find the module imported)."""
    import streamlit_folium as stf
    from streamlit.runtime import get_instance

    from ui.mapview import ASSETS

    registry = get_instance().component_registry
    registry.register_component(stf._component_func)
    registry.register_component(ASSETS)


def settle_heap() -> int:
    """Move what is alive now (modules, the preloaded region and caches) out of the
    collector's view (``gc.freeze``); returns the number of objects moved.

    These live as long as the process. Python's full collections walked them all: on
    thueringen ~0.2–0.26 s with every thread stopped, three times a minute under use
    (``benchmarks/load.py``, logged with ``gc.callbacks``); frozen, a full collection
    walks only what came later.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def start_preload(name: str, settle_after_s: float = SETTLE_AFTER_S) -> threading.Thread:
    """:func:`preload`, and ``settle_after_s`` later :func:`settle_heap`, in a daemon thread
    (errors swallowed: the sessions report them).

    The pause keeps the collection (~0.2 s, all threads stopped) out of the first
    visitors' runs, which start while the preload is still working.
    """

    def work() -> None:
        with contextlib.suppress(Exception):
            preload(name)
        time.sleep(settle_after_s)
        settle_heap()

    thread = threading.Thread(target=work, name=f"nahraum-preload-{name}", daemon=True)
    thread.start()
    return thread


def main(argv: list[str]) -> int:
    """``argv``: the app script and the options of ``streamlit run``."""
    if not argv:
        print("Aufruf: python ui/launch.py app.py [Optionen von streamlit run]", file=sys.stderr)
        return 64
    script = Path(argv[0]).resolve()
    root = str(script.parent)
    # Run as a file, this folder (``ui/``) would come first on the path: the app's root instead.
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = root
    elif root not in sys.path:
        sys.path.insert(0, root)
    from streamlit.web import cli

    from ui.mapview import prune_assets

    prune_assets()  # before anything is served: files of earlier base maps
    start_preload(os.environ.get(REGION_ENV) or "default")
    sys.argv = ["streamlit", "run", str(script), *argv[1:]]
    return int(cli.main() or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
