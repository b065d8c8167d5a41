"""Load: concurrent browser sessions on ``default`` over loopback, bounded in time.

One headless Chromium (Debian's ``/usr/bin/chromium``) with ``--sessions`` browser contexts
(default 10), driven concurrently with Playwright's asyncio API. Each session opens the app
with its own new workshop (the app's token in ``?ws=<token>``) and, until ``--seconds`` have passed, changes
parameters like a user – threshold slider (arrow keys), mode select, service categories
(add one, remove the last with Backspace) – and adds sites when the workshop UI ("neuer
Standort" click mode) is present; otherwise it prints ``add_site: nicht verfügbar``.

Response time of an action: from the control change until the app finished the rerun the
change caused (Streamlit's ``script_finished`` message on the session's WebSocket, after a
``new_session`` message sent after the change) and the map's overlay shows the new raster
image, decoded (inside the st_folium iframe; if the raster does not change within
``--overlay-wait`` seconds the rerun end counts and the action is listed as "Karte
unverändert"). Printed: p50/p95 per action type and overall, the number of actions.

Isolation: at the end every page must still show its own parameters (threshold, mode,
categories) and, with the workshop UI, every session's scenario store
(``geo.scenario_store.session_folder(<token>)``) must hold exactly its own sites –
``isolation=ok`` or the violations. The server runs with the network guard of
``tests/e2e_helpers.py`` (attempts to leave loopback are counted) and a temporary cache
(``NAHRAUM_CACHE``; the default region copied from the app's cache or built there).

``--snapshot`` starts the app from a copy of ``app.py``, ``geo/`` and ``layers/`` in the
temporary folder, so edits to the working tree during the run do not change the app under
measurement (Streamlit re-reads ``app.py`` on every rerun).

Phases: ``--sessions 1,10`` (default) runs one phase per count on the same server, one
after the other: p50/p95 of the control changes (threshold, mode, categories: control →
map) per phase. ``--region thueringen --sessions 1`` measures the large region; every
phase prints the time to the first map (``goto`` → map with raster), the first session of
the first phase on a fresh server process (region and base map loaded on first use).
``--snapshot-from /work/main`` runs the app from a copy of another checkout (the
unchanged main, for a comparison in the same conditions). The participant phase
(pin → projector, issue 13.1/2/5) is :func:`participants_phase` (``--participants 0``
leaves it out: ``participants=0 pin_p95_s=nan lost_edits=nan``). ``/proc/loadavg`` is
printed with every figure (the machine is shared). ``--browser-nice 19`` starts Chromium
at a lower priority (:func:`browser_command`: the browsers stand in for the room's laptops
but share the server's two cores).

``--browsers K``: only the first ``K`` sessions of a phase run in Chromium; the others are
driven over the app's WebSocket by ``benchmarks/_wire.py`` (the same widget changes and
sites a browser sends, the same ``ForwardMsg`` stream received, its message cache
reported as a browser does, nothing rendered), at the pace of the browser sessions of the
phase. In a room each session's laptop renders its own page; ten Chromium instances on the
server's two cores measure the benchmark machine's rendering instead (~1 CPU-s per action).
With ``--browsers`` the control → map figures are those of the sessions with a browser
(change → map drawn), under the server load of all sessions; the sessions without a
browser print change → rerun finished.

Last line: ``sessions=<largest phase> control_p50_s=… control_p95_s=… participants=…
pin_p95_s=… lost_edits=… region=… first_map_s=… loadavg=… browser_nice=… browsers=…``.

Run: ``.venv/bin/python benchmarks/load.py [--sessions 1,10] [--seconds 60] [--snapshot]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _wire import WireSession, wait_for_rerun  # noqa: E402

from geo import settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--disable-dev-shm-usage",
]
REGION = "default"
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
THRESHOLD = "Schwellenwert (Minuten)"
MODE = "Verkehrsart"
CATEGORIES = "Kategorien"
ADD_SITE = re.compile(r"neue[rn]? Standort", re.IGNORECASE)
SITE_SAVE = "Standort setzen"
ACTION_TIMEOUT_S = 90.0
CONTROL_ACTIONS = ("threshold", "mode", "category")  # control change → map
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}

MAP_READY_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const d = f && f.contentDocument;
    if (!d) return false;
    const img = d.querySelector('img.nahraum-raster');
    return d.querySelectorAll('path.nahraum-gemeinde').length > 0 && img !== null
        && img.complete && img.naturalWidth > 0;
}"""
RASTER_JS = """() => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const i = f && f.contentDocument && f.contentDocument.querySelector('img.nahraum-raster');
    return i ? i.src.length + ':' + i.src.slice(-64) : null; }"""
RASTER_CHANGED_JS = """(before) => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const i = f && f.contentDocument && f.contentDocument.querySelector('img.nahraum-raster');
    return i !== null && i !== undefined && i.complete && i.naturalWidth > 0
        && (i.src.length + ':' + i.src.slice(-64)) !== before; }"""
# A point inside the n-th Gemeinde that the mouse hits directly (no marker or control),
# in page coordinates, with its lon/lat.
MAP_SPOT_JS = """(n) => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const d = f.contentDocument, w = f.contentWindow, fr = f.getBoundingClientRect();
    if (w.map && !w.__nahraumHook) {  // where the map itself puts the next click (CLICKED_JS)
        w.__nahraumHook = true;
        w.map.on('click', e => { w.__nahraumClick = [e.latlng.lat, e.latlng.lng]; });
    }
    w.__nahraumClick = null;
    const paths = [...d.querySelectorAll('path.nahraum-gemeinde')];
    const controls = [...d.querySelectorAll('.leaflet-control')].map(c => c.getBoundingClientRect());
    for (let k = 0; k < paths.length; k++) {
        const path = paths[(n + k * 7) % paths.length];
        const r = path.getBoundingClientRect();
        for (let fy = 0.4; fy <= 0.6; fy += 0.1) for (let fx = 0.4; fx <= 0.6; fx += 0.1) {
            const x = r.left + fx * r.width, y = r.top + fy * r.height;
            const free = controls.every(c => x < c.left - 5 || x > c.right + 5
                                        || y < c.top - 5 || y > c.bottom + 5);
            if (free && x > 5 && y > 5 && x < w.innerWidth - 5 && y < w.innerHeight - 5
                && d.elementFromPoint(x, y) === path) {
                const ll = w.map ? w.map.mouseEventToLatLng({clientX: x, clientY: y}) : null;
                // metres per screen pixel at the spot (Web Mercator, 256 px tiles)
                const mpp = ll ? 40075016.686 * Math.cos(ll.lat * Math.PI / 180)
                                 / Math.pow(2, w.map.getZoom() + 8) : null;
                return {x: fr.left + x, y: fr.top + y, lat: ll && ll.lat, lng: ll && ll.lng, mpp};
            }
        }
    }
    return null;
}"""
# The click as the map registered it (Leaflet's own lat/lng; MAP_SPOT_JS hooks it): the
# first click after switching the click mode landed 35 px below the spot computed from the
# page (the map reported it there, the app stored it there): the session's own site is
# where the map says it was clicked.
CLICKED_JS = """() => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const c = f && f.contentWindow && f.contentWindow.__nahraumClick;
    return c ? {lat: c[0], lng: c[1]} : null; }"""
MAP_VIEW_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const m = f && f.contentWindow && f.contentWindow.map;
    if (!m) return null;
    const c = m.getCenter(), r = f.getBoundingClientRect();  // the page may shift too
    return [c.lat.toFixed(6), c.lng.toFixed(6), m.getZoom(), r.top, r.left].join(' ');
}"""
CATEGORY_TAGS_JS = """(label) => {
    const box = [...document.querySelectorAll('[data-testid=stMultiSelect]')]
        .find(e => e.innerText.startsWith(label));
    return box ? [...box.querySelectorAll('[data-tag]')]
        .map(t => (t.getAttribute('aria-label') || t.innerText).trim()) : null;
}"""
SITES_JS = """() => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const d = f && f.contentDocument;
    return d ? d.querySelectorAll('.nahraum-plan').length : 0; }"""
SITES_CHANGED_JS = """(before) => { const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const d = f && f.contentDocument;
    return d !== null && d.querySelectorAll('.nahraum-plan').length > before; }"""


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------
def prepare_cache(root: Path, region: str = REGION) -> Path:
    """A temporary cache with the region (copied from the app's cache or built there)."""
    cache = root / "cache"
    cache.mkdir(parents=True)
    source = settings.cache_dir()
    if (source / region / "meta.json").is_file():
        shutil.copytree(source / region, cache / region)
        if (source / "_shared").is_dir():
            shutil.copytree(source / "_shared", cache / "_shared")
    from geo.region import load_region  # builds only if the copy is outdated or missing

    t = time.perf_counter()
    load_region(region, cache_dir=cache)
    print(f"Region {region} bereit in {cache} ({time.perf_counter() - t:.1f} s)")
    return cache


@dataclass
class Server:
    url: str
    stop: object
    outside: object  # () -> list of attempts to leave loopback
    pid: int = 0  # the server process (its CPU time is measured)


def snapshot_code(root: Path, source: Path = REPO) -> Path:
    """A copy of the app's code (app.py and every package): immune to edits during the run.

    ``source``: the checkout to copy (another worktree, e.g. the unchanged main).
    """
    code = root / "code"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    code.mkdir(parents=True)
    shutil.copy2(source / "app.py", code / "app.py")
    for package in sorted(p.parent.name for p in source.glob("*/__init__.py")):
        if package not in ("tests", "benchmarks"):
            shutil.copytree(source / package, code / package, ignore=ignore)
    (code / "data").mkdir()
    for sub in sorted((REPO / "data").iterdir()):  # region, planning, standards files
        if sub.is_dir() and sub.name != "cache":
            (code / "data" / sub.name).symlink_to(sub)
    return code


def start_server(workdir: Path, cache: Path, code: Path | None = None) -> Server:
    """The app as users start it (tests/e2e_helpers.start_app with its network guard).

    With ``code`` the app runs from that copy (Streamlit puts the script's folder first
    on ``sys.path``); data and cache stay those of the repository run.
    """
    os.environ[settings.CACHE_ENV_VAR] = str(cache)
    os.environ.setdefault(settings.DATA_ENV_VAR, str(settings.data_dir()))
    try:
        from tests.e2e_helpers import start_app, stop_app
    except ImportError:  # pragma: no cover - helpers moved: start streamlit directly
        return _start_plain(workdir, code)
    command = None
    if code is not None:  # a checkout older than ui/launch.py starts Streamlit directly
        launch = code / "ui" / "launch.py"
        start = (
            f"{launch} {code / 'app.py'}"
            if launch.is_file()
            else f"-m streamlit run {code / 'app.py'}"
        )
        command = (
            f"{{python}} {start} --server.port {{port}} "
            "--server.headless true --browser.gatherUsageStats false"
        )
    server = start_app(workdir, command=command)
    return Server(server.url, lambda: stop_app(server), server.outside_attempts, server.process.pid)


def _start_plain(workdir: Path, code: Path | None = None) -> Server:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
    proc = subprocess.Popen(
        [
            sys.executable,
            str((code or REPO) / "ui" / "launch.py"),
            str((code or REPO) / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                break
        except OSError:
            time.sleep(0.3)

    def stop() -> None:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=15)
        log.close()

    return Server(url, stop, lambda: [], proc.pid)


# ---------------------------------------------------------------------------
# One browser session
# ---------------------------------------------------------------------------
@dataclass
class Session:
    idx: int
    token: str
    page: object = None
    rng: random.Random = None
    first_map_s: float = float("nan")  # goto → map with its raster shown
    started: int = 0  # new_session messages (one per script run)
    finished: int = 0  # successful script_finished messages
    running: bool = False
    last_finished_at: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    timings: list = field(default_factory=list)  # (action, seconds, map_changed, rerun_s)
    errors: list = field(default_factory=list)
    outside: list = field(default_factory=list)
    mode: str = settings.DEFAULT_MODE
    threshold: dict = field(default_factory=dict)
    categories: list = field(default_factory=list)
    sites: list = field(default_factory=list)  # (lon, lat) of sites this session added
    site_mpp: list = field(default_factory=list)  # metres per screen pixel at each click
    wire: object = None  # a WireSession (``--browsers``): no browser, the WebSocket only

    def on_message(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except Exception:
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.started += 1
            self.running = True
        elif kind == "script_finished":
            self.running = False
            if msg.script_finished in (0, 3):
                self.finished += 1
                self.last_finished_at = time.perf_counter()
        else:
            return
        self.changed.set()

    async def wait_rerun(self, started0: int, finished0: int, timeout: float) -> float:
        return await wait_for_rerun(self, started0, finished0, timeout)

    async def wait_idle(self, timeout: float = ACTION_TIMEOUT_S) -> None:
        deadline = time.perf_counter() + timeout
        while self.running and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.15)  # let the map component apply the last update

    async def timed(
        self,
        action: str,
        trigger,
        overlay_wait: float,
        changed: tuple[str, str] = (RASTER_JS, RASTER_CHANGED_JS),
    ) -> None:
        """Run ``trigger``; record the time until the rerun finished and the map updated.

        ``changed``: JS of the map state before, and a predicate of the changed state.
        """
        page = self.page
        await self.wait_idle()
        state_js, changed_js = changed
        before = await page.evaluate(state_js)
        started0, finished0 = self.started, self.finished
        t0 = time.perf_counter()
        await trigger()
        done = await self.wait_rerun(started0, finished0, ACTION_TIMEOUT_S)
        rerun_s = done - t0
        map_changed = True
        try:
            await page.wait_for_function(
                changed_js, arg=before, polling=50, timeout=overlay_wait * 1000
            )
            done = max(done, time.perf_counter())
        except Exception:
            map_changed = False
        self.timings.append((action, done - t0, map_changed, rerun_s))


async def open_session(browser, url: str, s: Session, timeout_s: float):
    context = await browser.new_context(
        viewport={"width": 1920, "height": 1080}, service_workers="block", locale="de-DE"
    )

    async def route(r):
        from urllib.parse import urlsplit

        parts = urlsplit(r.request.url)
        if parts.scheme in ("data", "blob", "about") or (parts.hostname or "") in LOOPBACK:
            await r.continue_()
        else:
            s.outside.append(r.request.url)
            await r.abort("blockedbyclient")

    await context.route("**/*", route)
    context.set_default_timeout(30_000)
    page = await context.new_page()
    page.on("websocket", lambda ws: ws.on("framereceived", s.on_message))
    s.page = page
    t0 = time.perf_counter()
    # A new workshop as a facilitator starts one: the app puts its token in the address
    # (an unknown token in the URL is refused until the user starts a new workshop).
    await page.goto(f"{url}/", wait_until="domcontentloaded")
    await page.wait_for_function(MAP_READY_JS, polling=200, timeout=timeout_s * 1000)
    s.token = parse_qs(urlsplit(page.url).query)["ws"][0]
    s.first_map_s = time.perf_counter() - t0
    await s.wait_idle()
    return context


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------
def mode_labels() -> dict[str, str]:
    from present import i18n

    return {m: i18n.mode_label(m, "de") for m in settings.MODES}


def threshold_of(s: Session) -> int:
    """The threshold the page shows for the session's mode (ui/sidebar.py: the saved choice,
    else the choice nearest to the mode's default)."""
    default = settings.MODES[s.mode].default_threshold_min
    choices = settings.THRESHOLD_CHOICES_MIN
    return s.threshold.get(s.mode, min(choices, key=lambda c: abs(c - default)))


def threshold_step(s: Session) -> tuple[int, int]:
    """One step on the threshold's choices from the shown one: (+1 or -1, the new value)."""
    choices = list(settings.THRESHOLD_CHOICES_MIN)
    i = choices.index(threshold_of(s))
    step = 1 if i == 0 else -1 if i == len(choices) - 1 else s.rng.choice((1, -1))
    return step, choices[i + step]


async def act_threshold(s: Session, overlay_wait: float) -> None:
    """One step on the threshold's select slider (arrow key: the next choice)."""
    slider = s.page.locator(f'input[type=range][aria-label="{THRESHOLD}"]')
    step, value = threshold_step(s)
    await slider.focus()
    key = "ArrowRight" if step > 0 else "ArrowLeft"
    await s.timed("threshold", lambda: s.page.keyboard.press(key), overlay_wait)
    s.threshold[s.mode] = value


async def act_mode(s: Session, overlay_wait: float) -> None:
    labels = mode_labels()
    new = s.rng.choice([m for m in labels if m != s.mode])
    await s.page.get_by_role("combobox", name=MODE, exact=True).click()
    option = s.page.get_by_role("option", name=labels[new], exact=True).first
    await option.wait_for(state="visible", timeout=10_000)
    await s.timed("mode", option.click, overlay_wait)
    s.mode = new
    # Each mode keeps its own threshold (ui/sidebar.py saves it outside the widget state), so
    # the new mode shows the value this session last chose for it, or its default.


async def act_category(s: Session, overlay_wait: float) -> None:
    box = s.page.get_by_role("combobox", name=CATEGORIES, exact=True)
    if len(s.categories) >= 2:
        await box.click()
        await s.timed("category", lambda: s.page.keyboard.press("Backspace"), overlay_wait)
        s.categories.pop()
    else:
        options = s.page.get_by_role("option")
        # A rerun that redraws the widget closes its list: open it again (three tries).
        for attempt in range(3):
            if attempt:
                await s.page.keyboard.press("Escape")
                await s.wait_idle()
            await box.click()
            try:
                await options.first.wait_for(state="visible", timeout=10_000)
                break
            except Exception:
                if attempt == 2:
                    raise
        offered = [
            m.group(1)
            for t in await options.all_inner_texts()
            if (m := re.fullmatch(r"(.+) \((\d+)\)", t.strip()))
            and int(m.group(2)) > 0
            and m.group(1) not in s.categories
        ]
        new = s.rng.choice(offered)
        option = s.page.get_by_role("option", name=re.compile(rf"^{re.escape(new)} \(\d+\)$"))
        option = option.first
        await s.timed("category", option.click, overlay_wait)
        s.categories.append(new)
    await s.page.keyboard.press("Escape")


def site_radio(page):
    return page.get_by_role("radio", name=ADD_SITE)


async def add_site_available(page) -> bool:
    return await site_radio(page).count() > 0


async def act_add_site(s: Session, overlay_wait: float) -> None:
    """Switch the click mode to "neuer Standort" (once), click into a Gemeinde."""
    page = s.page
    radio = site_radio(page).first
    if not await radio.is_checked():
        started0, finished0 = s.started, s.finished
        await radio.locator("xpath=ancestor::label[1]").click()
        await s.wait_rerun(started0, finished0, ACTION_TIMEOUT_S)
        await s.wait_idle()
        if not await radio.is_checked():
            raise RuntimeError("Klickmodus „neuer Standort“ ließ sich nicht wählen")
        # A user looks at the map first: a pause, not timed.
        await asyncio.sleep(1.5)
    # The map (or the page around it) may still move after the rerun: wait until both
    # stand still.
    view = None
    for _ in range(50):
        now = await page.evaluate(MAP_VIEW_JS)
        if now is not None and now == view:
            break
        view = now
        await asyncio.sleep(0.2)
    spot = await page.evaluate(MAP_SPOT_JS, s.idx * 5 + len(s.sites) * 3)
    if spot is None:
        raise RuntimeError("keine freie Stelle auf der Karte")

    # The click asks for the site's kind and target groups (ui/workshop.py site_form); the
    # form's defaults are confirmed with "Standort setzen": that click is timed (→ site on map).
    started0, finished0 = s.started, s.finished
    await page.mouse.click(spot["x"], spot["y"])
    clicked = await page.evaluate(CLICKED_JS)
    if clicked is not None:
        spot = {**spot, **clicked}
    await s.wait_rerun(started0, finished0, ACTION_TIMEOUT_S)
    save = page.get_by_role("button", name=SITE_SAVE, exact=True)
    await save.wait_for(state="visible", timeout=30_000)
    await s.timed("add_site", save.click, overlay_wait, changed=(SITES_JS, SITES_CHANGED_JS))
    s.sites.append((spot["lng"], spot["lat"]))
    s.site_mpp.append(float(spot.get("mpp") or 0.0))


def next_action(s: Session, n: int, actions: list, add_site):
    """The ``n``-th action: each kind once in order, then at random (``add_site``: the
    site action, ``None`` without the workshop UI)."""
    choices = [*actions, *([add_site] if add_site is not None else [])]
    return choices[n] if n < len(choices) else s.rng.choice(choices)


async def run_session(
    s: Session, deadline: float, overlay_wait: float, think: float, add_site: dict
) -> None:
    actions = [act_threshold, act_mode, act_category]
    n = 0
    while time.perf_counter() < deadline:
        act = next_action(s, n, actions, act_add_site if add_site["on"] else None)
        n += 1
        try:
            await act(s, overlay_wait)
        except Exception as exc:
            s.errors.append(f"{act.__name__}: {type(exc).__name__}: {str(exc)[:160]}")
            with contextlib.suppress(Exception):
                await s.page.keyboard.press("Escape")
        await asyncio.sleep(think * s.rng.uniform(0.3, 1.0))


# ---------------------------------------------------------------------------
# Sessions without a browser (``--browsers``): the same actions over the WebSocket
# ---------------------------------------------------------------------------
WIRE_THRESHOLD = "threshold"
WIRE_MODE = "mode__de"
WIRE_CATEGORIES = "categories_default__de"
WIRE_CLICK_MODE = "click_mode"
WIRE_SITE_SAVE = "FormSubmitter:site_form_click-Standort setzen"


def free_spots(cache: Path, region: str) -> list[tuple[float, float]]:
    """(lat, lon) inside each Gemeinde of the region (its representative point)."""
    import geopandas as gpd

    from geo._crs import to_display

    gem = to_display(gpd.read_parquet(cache / region / "gemeinden.parquet"))
    points = gem.geometry.representative_point()
    return [(float(p.y), float(p.x)) for p in points]


async def open_wire(url: str, s: Session, timeout_s: float):
    """Open a session over the WebSocket (no browser); the app gives it a workshop token."""
    s.wire = WireSession(url)
    t0 = time.perf_counter()
    await s.wire.open(timeout_s)
    s.token = parse_qs(s.wire.query)["ws"][0]
    s.first_map_s = time.perf_counter() - t0
    return s.wire


async def wire_timed(s: Session, action: str) -> None:
    seconds = await s.wire.change(ACTION_TIMEOUT_S)
    if s.wire.exceptions:
        raise RuntimeError(f"Ausnahme in der App: {s.wire.exceptions[-1]}")
    s.timings.append((action, seconds, True, seconds))


async def wire_threshold(s: Session, _spots: list) -> None:
    _step, value = threshold_step(s)
    s.wire.set_strings(WIRE_THRESHOLD, [f"{value} min"])
    await wire_timed(s, "threshold")
    s.threshold[s.mode] = value


async def wire_mode(s: Session, _spots: list) -> None:
    labels = mode_labels()
    new = s.rng.choice([m for m in labels if m != s.mode])
    s.wire.set_string(WIRE_MODE, labels[new])
    # the browser sends the threshold the new mode shows (its saved choice or default)
    s.mode = new
    s.wire.set_strings(WIRE_THRESHOLD, [f"{threshold_of(s)} min"])
    await wire_timed(s, "mode")


async def wire_category(s: Session, _spots: list) -> None:
    labelled = {re.sub(r" \(\d+\)$", "", o): o for o in s.wire.options(WIRE_CATEGORIES)}
    if len(s.categories) >= 2:
        s.categories.pop()
    else:
        offered = [
            c for c, o in labelled.items() if c not in s.categories and not o.endswith("(0)")
        ]
        s.categories.append(s.rng.choice(offered))
    s.wire.set_strings(WIRE_CATEGORIES, [labelled[c] for c in s.categories])
    await wire_timed(s, "category")


async def wire_add_site(s: Session, spots: list) -> None:
    """Click mode "neuer Standort" (once), a map click, then "Standort setzen" (timed)."""
    w = s.wire
    if WIRE_CLICK_MODE not in w.states:
        w.set_string(WIRE_CLICK_MODE, "neuer Standort")
        await w.change(ACTION_TIMEOUT_S)
    lat, lon = spots[(s.idx * 5 + len(s.sites) * 3) % len(spots)]
    lat += s.rng.uniform(-0.002, 0.002)
    lon += s.rng.uniform(-0.002, 0.002)
    w.set_map_click(lat, lon)
    await w.change(ACTION_TIMEOUT_S)
    if WIRE_SITE_SAVE not in w.elements:
        raise RuntimeError("kein Formular „Standort setzen“ nach dem Klick")
    w.trigger(WIRE_SITE_SAVE)
    await wire_timed(s, "add_site")
    s.sites.append((lon, lat))
    s.site_mpp.append(0.0)


def browser_interval(shown: list[Session], t0: float, default: float) -> float:
    """Seconds between two actions of one browser session so far in the phase."""
    actions = sum(len(s.timings) for s in shown)
    if actions < len(shown):
        return default
    return (time.perf_counter() - t0) * len(shown) / actions


async def run_wire_session(
    s: Session, deadline: float, interval, add_site: dict, spots: list
) -> None:
    """The browser sessions' actions at their pace: ``interval()`` is the seconds between
    two actions of a browser session in this phase (it includes how long the page takes
    to react, so under load the sessions without a browser slow down alike)."""
    actions = [wire_threshold, wire_mode, wire_category]
    n = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        act = next_action(s, n, actions, wire_add_site if add_site["on"] else None)
        n += 1
        try:
            await act(s, spots)
        except Exception as exc:
            s.errors.append(f"{act.__name__}: {type(exc).__name__}: {str(exc)[:160]}")
            s.wire.exceptions.clear()
        wait = started + interval() * s.rng.uniform(0.7, 1.3) - time.perf_counter()
        await asyncio.sleep(max(wait, 0.0))


# ---------------------------------------------------------------------------
# Isolation
# ---------------------------------------------------------------------------
async def page_state(s: Session) -> dict:
    page = s.page
    value = await page.locator(f'input[type=range][aria-label="{THRESHOLD}"]').input_value()
    mode_text = await page.get_by_role("combobox", name=MODE, exact=True).evaluate(
        "e => e.value || e.innerText || e.textContent"
    )
    tags = await page.evaluate(CATEGORY_TAGS_JS, CATEGORIES)
    return {  # the select slider's range input holds the index of the choice
        "threshold": float(settings.THRESHOLD_CHOICES_MIN[int(float(value))]),
        "mode": mode_text,
        "categories": sorted(re.sub(r" \(\d+\)$", "", t) for t in tags or []),
    }


async def check_pages(sessions: list[Session]) -> list[str]:
    labels = mode_labels()
    problems = []
    for s in sessions:
        try:
            await s.wait_idle()
            st = await page_state(s)
        except Exception as exc:
            shown = await s.page.evaluate(
                "() => [...document.querySelectorAll('[data-testid=stException],"
                " [data-testid=stAlert]')].map(e => e.innerText.slice(0, 300)).join(' | ')"
            )
            problems.append(
                f"Sitzung {s.idx}: Zustand nicht lesbar ({str(exc).splitlines()[0]}) {shown}"
            )
            continue
        want = threshold_of(s)

        def differs(st: dict, s: Session = s, want: float = want) -> bool:
            return (
                st["threshold"] != want
                or labels[s.mode] not in st["mode"]
                or st["categories"] != sorted(s.categories)
            )

        if differs(st):  # a widget redrawn by a late rerun: read the settled page again
            await asyncio.sleep(2.0)
            await s.wait_idle()
            with contextlib.suppress(Exception):
                st = await page_state(s)
        if differs(st):
            problems.append(
                f"Sitzung {s.idx}: zeigt {st}, erwartet Schwellenwert {want}, "
                f"{labels[s.mode]}, {sorted(s.categories)}"
            )
    return problems


def check_stores(sessions: list[Session], cache: Path, tolerance_m: float = 400.0) -> list[str]:
    """Every session's scenario store holds exactly its own sites (within ``tolerance_m``
    or three screen pixels at the click's zoom, whichever is larger: on ``thueringen`` a
    pixel is ~400 m)."""
    from pyproj import Transformer

    from geo.scenario import AddSite
    from geo.scenario_store import ScenarioStore, session_folder

    to_3035 = Transformer.from_crs(settings.CRS_DISPLAY, settings.CRS_METRIC, always_xy=True)
    own = {s.idx: [to_3035.transform(lon, lat) for lon, lat in s.sites] for s in sessions}
    mpp = max((m for s in sessions for m in s.site_mpp), default=0.0)
    tolerance_m = max(tolerance_m, 3 * mpp)
    problems = []
    root = session_folder("x" * 8, cache).parent
    for s in sessions:
        # The app keeps one folder per workshop id and region: <token>-<hash of region>.
        folders = [
            f
            for f in root.glob(f"{s.token}*")
            if f.is_dir() and (f.name == s.token or f.name.startswith(s.token + "-"))
        ]
        stored = []
        for folder in folders:
            store = ScenarioStore(folder)
            for name in store.names():
                stored += [(c.x, c.y) for c in store.load(name).changes if isinstance(c, AddSite)]
        if not folders and s.sites:
            problems.append(f"Sitzung {s.idx}: kein Szenario-Ordner für ws={s.token}")
            continue
        for x, y in stored:
            near = [
                i
                for i, pts in own.items()
                if any((x - px) ** 2 + (y - py) ** 2 <= tolerance_m**2 for px, py in pts)
            ]
            if s.idx not in near:
                gap = min((math.hypot(x - px, y - py) for px, py in own[s.idx]), default=math.inf)
                problems.append(
                    f"Sitzung {s.idx}: fremder Standort ({x:.0f}, {y:.0f}; eigener nächster "
                    f"{gap:.0f} m entfernt, Toleranz {tolerance_m:.0f} m)"
                    + (f" von Sitzung {near}" if near else "")
                )
        if len(stored) != len(s.sites):
            problems.append(
                f"Sitzung {s.idx}: {len(stored)} Standorte gespeichert, {len(s.sites)} gesetzt"
            )
    return problems


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(sessions: list[Session], seconds: float) -> None:
    rows = [t for s in sessions for t in s.timings]
    print(
        f"\nAktionen: {len(rows)} in {seconds:.0f} s mit {len(sessions)} Sitzungen "
        f"({len(rows) / max(seconds, 1e-9):.2f}/s)"
    )
    print(
        "Antwortzeit = Änderung → Neulauf fertig und Karte aktualisiert; "
        "Neulauf = Änderung → script_finished"
    )
    print(
        f"{'Aktion':<12}{'n':>5}{'p50 s':>8}{'p95 s':>8}{'max s':>8}"
        f"{'Neulauf p50':>13}{'p95':>7}  Karte unverändert"
    )

    def line(label: str, sel: list) -> None:
        total = [r[1] for r in sel]
        rerun = [r[3] for r in sel]
        same = sum(1 for r in sel if not r[2])
        print(
            f"{label:<12}{len(total):>5}{pct(total, 50):>8.2f}{pct(total, 95):>8.2f}"
            f"{max(total):>8.2f}{pct(rerun, 50):>13.2f}{pct(rerun, 95):>7.2f}  {same}"
        )

    for action in ("threshold", "mode", "category", "add_site"):
        sel = [r for r in rows if r[0] == action]
        if sel:
            line(action, sel)
    if rows:
        line("gesamt", rows)
    errors = [f"  Sitzung {s.idx}: {e}" for s in sessions for e in s.errors]
    print(f"Fehler: {len(errors)}")
    for text in errors[:20]:
        print(text)


def loadavg() -> str:
    """The machine's load average (1, 5, 15 min): the machine is shared."""
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "nan nan nan"


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, name, CPU seconds) of every process (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        out[int(stat.parent.name)] = (
            int(fields[1]),
            name,
            (int(fields[11]) + int(fields[12])) / tick,
        )
    return out


def cpu_split(server_pid: int) -> tuple[float, float]:
    """CPU seconds so far of the app server (with its children) and of the browser (the
    Chromium processes started by this benchmark); live processes only."""
    procs = _processes()

    def tree(root: int) -> set[int]:
        found, todo = set(), [root]
        while todo:
            pid = todo.pop()
            found.add(pid)
            todo += [p for p, (ppid, _n, _c) in procs.items() if ppid == pid and p not in found]
        return found

    server = tree(server_pid) if server_pid else set()
    mine = tree(os.getpid()) - server
    browser = {p for p in mine if "chrom" in procs[p][1].lower() or "headless" in procs[p][1]}
    return (
        sum(procs[p][2] for p in server if p in procs),
        sum(procs[p][2] for p in browser if p in procs),
    )


def control_times(sessions: list[Session]) -> list[float]:
    """Response times of the control changes (threshold, mode, categories)."""
    return [t[1] for s in sessions for t in s.timings if t[0] in CONTROL_ACTIONS]


async def participants_phase(
    browser, url: str, participants: int, seconds: float
) -> tuple[float, int] | None:
    """Pin → projector for ``participants`` phone pages: ``(pin_p95_s, lost_edits)``.

    Hook for the participant pages (issue 13.1/2/5, another branch): it joins the
    workshop by code in ``participants`` phone contexts (360×740), drops pins for
    ``seconds`` and times each pin until the projector shows it, then counts accepted
    pins missing from the store. ``None`` while the participant page does not exist
    (the summary then says ``participants=0 pin_p95_s=nan lost_edits=nan``).

    The phones are simulated by ``benchmarks/participants.py`` against a real
    participant server and the projector's event-log reader (no Chromium per phone).
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import participants as phones

    result = await asyncio.to_thread(phones.measure, participants, seconds)
    print(phones.describe(result))
    return float(result["pin_p95_s"]), int(result["lost_edits"])


@dataclass
class Phase:
    sessions: int
    control: list
    first_map: list
    problems: list
    load: str
    browsers: int  # sessions with a browser (the others over the WebSocket only)


async def analysis_phase(browser, server: Server, cache: Path, n: int, args) -> Phase:
    """``n`` analysis sessions for ``args.seconds``: report, isolation, figures."""
    sessions = [
        Session(i, "", rng=random.Random(args.seed + i))  # token: given by the app
        for i in range(n)
    ]
    shown = sessions if args.browsers is None else sessions[: max(args.browsers, 1)]
    wired = sessions[len(shown) :]
    t = time.perf_counter()
    contexts = await asyncio.gather(
        *(open_session(browser, server.url, s, args.open_timeout) for s in shown)
    )
    wires = await asyncio.gather(*(open_wire(server.url, s, args.open_timeout) for s in wired))
    first = [s.first_map_s for s in shown]
    print(
        f"\n== {n} Sitzung(en), Region {args.region}: geöffnet in {time.perf_counter() - t:.1f} s "
        f"(je eigenes ?ws=…); erste Karte p50 {pct(first, 50):.2f} s, max {max(first):.2f} s; "
        f"Last {loadavg()}"
    )
    if wired:
        print(
            f"{len(shown)} Sitzung(en) im Browser, {len(wired)} ohne Browser (WebSocket wie "
            "ein Browser auf einem anderen Rechner: der Server rechnet dasselbe, gezeichnet "
            "wird nicht)"
        )
    add_site = {"on": await add_site_available(shown[0].page)}
    print("add_site: verfügbar" if add_site["on"] else "add_site: nicht verfügbar")
    spots = free_spots(cache, args.region) if wired else []
    cpu0 = cpu_split(server.pid)
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            run_session(s, t0 + args.seconds, args.overlay_wait, args.think, add_site)
            for s in shown
        ),
        *(
            run_wire_session(
                s,
                t0 + args.seconds,
                lambda: browser_interval(shown, t0, args.think + 2.0),
                add_site,
                spots,
            )
            for s in wired
        ),
    )
    elapsed = time.perf_counter() - t0
    cpu1 = cpu_split(server.pid)
    report(sessions, elapsed)
    if wired:
        print("Davon im Browser (Änderung → Karte gezeichnet):")
        report(shown, elapsed)
        print("Davon ohne Browser (Änderung → Neulauf fertig):")
        report(wired, elapsed)
    actions = max(sum(len(s.timings) for s in sessions), 1)
    server_cpu, browser_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print(
        f"CPU in der Aktionsphase ({elapsed:.0f} s, 2 Kerne = {2 * elapsed:.0f} CPU-s): "
        f"App-Server {server_cpu:.1f} s ({server_cpu / actions:.2f} s je Aktion), "
        f"Browser {browser_cpu:.1f} s ({browser_cpu / actions:.2f} s je Aktion), "
        f"übrig {max(2 * elapsed - server_cpu - browser_cpu, 0):.0f} CPU-s (frei oder "
        "andere Prozesse)"
    )
    problems = await check_pages(shown)
    problems += [
        f"Sitzung {s.idx}: Ausnahme in der App: {e}" for s in wired for e in s.wire.exceptions
    ]
    if add_site["on"]:
        problems += check_stores(sessions, cache)
    sites = sum(len(s.sites) for s in sessions)
    if problems:
        print("isolation=VERLETZT")
        for p in problems:
            print(f"  {p}")
    else:
        scope = (
            f"Parameter je Seite, {sites} Standorte in {len(sessions)} Szenario-Speichern"
            if add_site["on"]
            else "Parameter je Seite; Standorte nicht prüfbar"
        )
        print(f"isolation=ok ({scope})")
    # the figure: control → map drawn, in the sessions with a browser
    control = control_times(shown)
    load = loadavg()
    if control:
        print(
            f"Steuerung → Karte, {n} Sitzung(en)"
            + (f", gemessen in den {len(shown)} mit Browser" if wired else "")
            + f": p50 {pct(control, 50):.2f} s, p95 {pct(control, 95):.2f} s "
            f"(n={len(control)}); Last {load}"
        )
    if wired and (server_side := control_times(wired)):
        print(
            f"Steuerung → Neulauf fertig, die {len(wired)} ohne Browser: "
            f"p50 {pct(server_side, 50):.2f} s, p95 {pct(server_side, 95):.2f} s "
            f"(n={len(server_side)})"
        )
    outside = [u for s in sessions for u in s.outside]
    print(f"Browser ins Internet: {len(outside)}; Server ins Internet: {len(server.outside())}")
    for c in contexts:
        await c.close()
    for w in wires:
        await w.close()
    return Phase(n, control, first, problems, load, len(shown))


def browser_command(root: Path, nice: int) -> str:
    """Chromium, or (``nice`` > 0) a wrapper starting it at a lower priority.

    In a room every analysis session's browser runs on its own laptop; here all of them
    share the server's two cores (~1.8 CPU-s per action against the server's ~0.5).
    ``--browser-nice 19`` lets the server go first, which shows what the server holds
    when the browsers are elsewhere; the default measures everything on one machine.
    """
    if nice <= 0:
        return CHROMIUM
    wrapper = root / "chromium-nice"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {CHROMIUM} "$@"\n', "utf-8")
    wrapper.chmod(0o755)
    return str(wrapper)


async def run(args) -> int:
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).is_file():
        print(
            f"Chromium nicht gefunden ({CHROMIUM}). Bitte mit ./nahraum.sh test oder "
            "apt-get install chromium installieren."
        )
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="nahraum-load-"))
    cache = prepare_cache(tmp, args.region)
    source = args.snapshot_from
    code = snapshot_code(tmp, source or REPO) if args.snapshot or source else None
    os.environ["NAHRAUM_REGION"] = args.region
    t = time.perf_counter()
    server = start_server(tmp / "app", cache, code)
    print(
        f"App: {server.url} (Start {time.perf_counter() - t:.1f} s; Code: "
        f"{'Kopie von ' + str(source or REPO) + ' in ' + str(code) if code else REPO}); "
        f"Last {loadavg()}"
    )
    phases: list[Phase] = []
    pins = None
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=browser_command(tmp, args.browser_nice),
                args=CHROMIUM_ARGS,
                headless=True,
            )
            try:
                for n in args.sessions:
                    phases.append(await analysis_phase(browser, server, cache, n, args))
                if args.participants:
                    pins = await participants_phase(
                        browser, server.url, args.participants, args.seconds
                    )
            finally:
                await browser.close()
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"Arbeitsordner: {tmp}")
    last = max(phases, key=lambda p: p.sessions)
    nan = float("nan")
    p50 = pct(last.control, 50) if last.control else nan
    p95 = pct(last.control, 95) if last.control else nan
    who, pin_p95, lost = (
        (0, "nan", "nan") if pins is None else (args.participants, f"{pins[0]:.2f}", str(pins[1]))
    )
    print(
        f"sessions={last.sessions} control_p50_s={p50:.2f} control_p95_s={p95:.2f} "
        f"participants={who} pin_p95_s={pin_p95} lost_edits={lost} region={args.region} "
        f"first_map_s={phases[0].first_map[0]:.2f} loadavg={last.load.split()[0]} "
        f"browser_nice={args.browser_nice} browsers={last.browsers}"
    )
    return 1 if any(p.problems for p in phases) else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--sessions",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[1, 10],
        help="Sitzungen je Phase, z. B. 1,10",
    )
    p.add_argument("--region", default=REGION, help="Region (NAHRAUM_REGION der App)")
    p.add_argument(
        "--participants",
        type=int,
        default=30,
        help="simulierte Telefone für Pin → Projektor (0: keine)",
    )
    p.add_argument(
        "--snapshot-from",
        type=Path,
        default=None,
        help="App aus einer Kopie dieses Checkouts starten (z. B. /work/main zum Vergleich)",
    )
    p.add_argument("--seconds", type=float, default=60.0, help="Dauer der Aktionsphase")
    p.add_argument(
        "--open-timeout",
        type=float,
        default=240.0,
        help="Höchstzeit, bis alle Sitzungen die Karte zeigen",
    )
    p.add_argument(
        "--overlay-wait",
        type=float,
        default=10.0,
        help="Höchstzeit nach dem Neulauf für das neue Kartenbild",
    )
    p.add_argument("--think", type=float, default=1.0, help="Pause zwischen Aktionen (s, max)")
    p.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="Browser mit niedrigerer Priorität (nice 1–19; 0: wie der Server)",
    )
    p.add_argument(
        "--browsers",
        type=int,
        default=None,
        help="Sitzungen je Phase mit Browser (die übrigen ohne Browser über den WebSocket, "
        "wie Laptops im Raum, die selbst zeichnen); Vorgabe: alle",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="Arbeitsordner behalten")
    p.add_argument(
        "--snapshot",
        action="store_true",
        help="App aus einer Kopie des Codes starten (während der Messung "
        "geänderte Dateien wirken nicht)",
    )
    args = p.parse_args(argv)
    phases = len(args.sessions)
    hard_limit = phases * (args.open_timeout + args.seconds + ACTION_TIMEOUT_S) + 300
    try:
        return asyncio.run(asyncio.wait_for(run(args), hard_limit))
    except TimeoutError:
        print(f"Abgebrochen: Zeitlimit {hard_limit:.0f} s überschritten")
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
