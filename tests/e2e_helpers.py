"""Fixtures and helpers for browser tests: app server, Chromium, offline recorder.

Used as a pytest plugin by the browser test modules (``pytest_plugins``), so the
project's ``conftest.py`` stays untouched.

The app is started exactly like a user starts it. Change :data:`APP_COMMAND` (or set
``NAHRAUM_APP_CMD``, e.g. ``"./nahraum.sh app --port {port}"``) when the README's start
command changes; ``{port}`` and ``{python}`` are filled in.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
APP_CMD_ENV = "NAHRAUM_APP_CMD"
APP_COMMAND = "{python} ui/launch.py app.py --server.port {port} --server.headless true"
DEFAULT_REGION = "default"
START_TIMEOUT_S = 180.0
MAP_TIMEOUT_MS = 90_000
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
    "--metrics-recording-only",
    "--no-pings",
]
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_command(port: int, template: str | None = None) -> list[str]:
    """The command that starts the app (see module docstring)."""
    template = template or os.environ.get(APP_CMD_ENV) or APP_COMMAND
    return [part.format(port=port, python=sys.executable) for part in shlex.split(template)]


@dataclass
class AppServer:
    """A running app server and the file its network guard writes to."""

    url: str
    process: subprocess.Popen
    log_path: Path
    netguard_log: Path

    def netguard_events(self) -> list[dict]:
        """Every network event the guard saw (``kind`` ``active`` marks a guarded process)."""
        if not self.netguard_log.is_file():
            return []
        lines = self.netguard_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def outside_attempts(self) -> list[dict]:
        """Attempts to reach a non-loopback address (blocked and recorded)."""
        return [e for e in self.netguard_events() if e["kind"] != "active"]

    def log_tail(self, n: int = 60) -> str:
        """The last lines of the server's output (for failure messages)."""
        if not self.log_path.is_file():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"App beendet (Code {process.returncode}):\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        try:
            with opener.open(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(
        f"App antwortet nicht binnen {START_TIMEOUT_S:.0f} s:\n"
        + log_path.read_text(errors="replace")[-4000:]
    )


def start_app(
    workdir: Path,
    port: int | None = None,
    command: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> AppServer:
    """Start the app with the network guard; wait until it answers.

    Parameters
    ----------
    workdir : Path
        Folder for the server log and the network-guard log.
    port : int, optional
        Default: a free port.
    command : str, optional
        Start command template (``{port}``, ``{python}``); default :func:`app_command`.
    extra_env : dict, optional
        More environment variables of the app process.
    """
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "server.log"
    netguard_log = workdir / "netguard.jsonl"
    netguard_log.unlink(missing_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(NETGUARD_DIR), str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env["NAHRAUM_NETGUARD_LOG"] = str(netguard_log)
    env.update(extra_env or {})
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(var, None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            app_command(port, command),
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(
        url=f"http://localhost:{port}",
        process=process,
        log_path=log_path,
        netguard_log=netguard_log,
    )
    try:
        _wait_healthy(server.url, process, log_path)
    except Exception:
        stop_app(server)
        raise
    return server


def stop_app(server: AppServer) -> None:
    """Stop the server and its children (its own process group only)."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)
    except ProcessLookupError:
        pass


@dataclass
class OutsideRecorder:
    """Records (and aborts) every browser request to a non-loopback host."""

    urls: list[str] = field(default_factory=list)

    def attach(self, context) -> None:  # playwright BrowserContext
        """Route every request of the context through the recorder."""
        context.route("**/*", self._handle)

    def _handle(self, route) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            self.urls.append(url)
            route.abort("blockedbyclient")

    def watch_page(self, page) -> None:
        """Also record WebSockets (not routed) and failed requests of a page."""
        page.on("websocket", lambda ws: None if is_local_url(ws.url) else self.urls.append(ws.url))


def is_local_url(url: str) -> bool:
    """True for loopback http(s)/ws(s) URLs and for data:, blob:, about: URLs."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


# ---------------------------------------------------------------------------
# Map helpers (inside the st_folium iframe)
# ---------------------------------------------------------------------------


def map_frame(page):
    """The Frame of the folium map (waits for the iframe; a base-map change replaces it,
    so an iframe without its frame yet is asked again)."""
    deadline = time.monotonic() + MAP_TIMEOUT_MS / 1000
    while True:
        page.wait_for_selector(FOLIUM_IFRAME, state="attached", timeout=MAP_TIMEOUT_MS)
        handle = page.query_selector(FOLIUM_IFRAME)
        frame = handle.content_frame() if handle else None
        if frame is not None:
            return frame
        if time.monotonic() > deadline:
            raise AssertionError("Karten-iframe nicht gefunden")
        page.wait_for_timeout(200)


MAP_READY_JS = """() => {
    const g = document.querySelectorAll('.leaflet-nahraum-gemeinden-pane path.nahraum-gemeinde');
    const img = document.querySelector('img.nahraum-raster');
    const markers = document.querySelectorAll('.nahraum-service-marker');
    const map = document.querySelector('.leaflet-container');
    // The iframe has its final height once the whole map is inside its viewport.
    const sized = map !== null && window.innerHeight > 300
        && map.getBoundingClientRect().bottom <= window.innerHeight + 2;
    return sized && g.length > 0 && markers.length > 0 && img !== null && img.complete
        && img.naturalWidth > 0;
}"""


def wait_for_map(page, recorder: OutsideRecorder | None = None):
    """Wait until Leaflet drew Gemeinden, the population image and service markers.

    Fails at once, naming the URLs, when the page tried to load anything from outside
    (a blocked CDN library would otherwise just leave the map blank until the timeout).
    """
    deadline = time.monotonic() + MAP_TIMEOUT_MS / 1000
    while True:
        if recorder is not None and recorder.urls:
            raise AssertionError(f"Browser wollte ins Internet: {recorder.urls}")
        try:
            frame = map_frame(page)
            if frame.evaluate(MAP_READY_JS):
                page.wait_for_timeout(500)  # let Leaflet finish fitting and fading in
                return frame
        except AssertionError:
            raise
        except Exception:  # frame not yet there or navigating
            pass
        if time.monotonic() > deadline:
            raise AssertionError("Karte wurde nicht gezeichnet (Gemeinden, Raster, Angebote)")
        page.wait_for_timeout(250)


def wait_for_map_state(page, predicate_js: str, timeout_ms: int = MAP_TIMEOUT_MS):
    """Wait until the (possibly reloaded) map frame satisfies ``predicate_js``; return the frame.

    The map iframe is replaced when the base map changes (region, language), so the frame
    is looked up again on every try.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            frame = map_frame(page)
            if frame.evaluate(predicate_js):
                return frame
        except AssertionError:
            raise
        except Exception:  # frame detached or not yet there
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"Kartenzustand nicht erreicht: {predicate_js}")
        page.wait_for_timeout(250)


def open_app(
    browser,
    url: str,
    recorder: OutsideRecorder | None = None,
    viewport: tuple[int, int] = (1920, 1080),
    sent_frames: list | None = None,
):
    """New context and page on the app; returns ``(context, page, frame)`` with the map drawn.

    ``sent_frames`` collects every WebSocket message the browser sends to the app server
    (a script rerun is requested by such a message).
    """
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, service_workers="block"
    )
    if recorder is not None:
        recorder.attach(context)
    page = context.new_page()
    if recorder is not None:
        recorder.watch_page(page)
    if sent_frames is not None:
        page.on("websocket", lambda ws: ws.on("framesent", lambda data: sent_frames.append(data)))
    page.goto(url, wait_until="domcontentloaded")
    frame = wait_for_map(page, recorder)
    return context, page, frame


# ---------------------------------------------------------------------------
# Streamlit widgets and the state of the page
# ---------------------------------------------------------------------------
RASTER_JS = """() => { const i = document.querySelector('img.nahraum-raster');
    return i ? i.src.length + ':' + i.src.slice(-48) : null; }"""
RASTER_CHANGED_JS = """(before) => { const i = document.querySelector('img.nahraum-raster');
    return i !== null && i.complete && i.naturalWidth > 0
        && (i.src.length + ':' + i.src.slice(-48)) !== before; }"""
METRIC_JS = """(label) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')]
    .find(e => e.querySelector('[data-testid=stMetricLabel]').innerText.trim() === label);
    return m ? m.querySelector('[data-testid=stMetricValue]').innerText.trim() : null; }"""
METRIC_CHANGED_JS = """([label, before]) => {
    const m = [...document.querySelectorAll('[data-testid=stMetric]')]
        .find(e => e.querySelector('[data-testid=stMetricLabel]').innerText.trim() === label);
    return m !== undefined
        && m.querySelector('[data-testid=stMetricValue]').innerText.trim() !== before; }"""


#: Share of the map's data (Gemeinde areas and the cell raster) that the Leaflet controls
#: cover: a grid of points is probed with the controls hidden, then each data point is
#: checked against the controls' boxes. Returns [covered, data points].
COVERED_DATA_JS = """(step) => {
    const controls = [...document.querySelectorAll('.leaflet-control')];
    const boxes = controls.map(c => c.getBoundingClientRect());
    const saved = controls.map(c => c.style.visibility);
    controls.forEach(c => { c.style.visibility = 'hidden'; });
    const m = document.querySelector('.leaflet-container').getBoundingClientRect();
    let data = 0, covered = 0;
    for (let y = m.top + 1; y < m.bottom; y += step) {
        for (let x = m.left + 1; x < m.right; x += step) {
            const e = document.elementFromPoint(x, y);
            if (!e || !(e.matches('path.nahraum-gemeinde') || e.matches('img.nahraum-raster')))
                continue;
            data += 1;
            if (boxes.some(b => x >= b.left && x <= b.right && y >= b.top && y <= b.bottom))
                covered += 1;
        }
    }
    controls.forEach((c, i) => { c.style.visibility = saved[i]; });
    return [covered, data];
}"""


def metric(page, label: str) -> str | None:
    """The shown value of the ``st.metric`` with this label."""
    return page.evaluate(METRIC_JS, label)


def select_option(page, label: str, option, open_only: bool = False):
    """Choose ``option`` (text or regex) in the selectbox/multiselect labelled ``label``.

    With ``open_only`` the list is opened and the option locator returned (click it to
    trigger the change, e.g. after starting a timer).
    """
    box = page.get_by_role("combobox", name=label, exact=True)
    item = page.get_by_role("option", name=option)
    if isinstance(option, str):
        item = page.get_by_role("option", name=option, exact=True)
    chosen = ListOption(page, box, item.first)
    chosen.open()
    if open_only:
        return chosen
    chosen.click()
    return None


class ListOption:
    """An option of an open dropdown list that survives a redraw of its widget.

    A rerun that redraws the widget closes its list; :meth:`click` then opens the list
    again (up to three times) instead of waiting for an option that is gone.
    """

    def __init__(self, page, box, item, typed: str = "") -> None:
        self.page, self.box, self.item, self.typed = page, box, item, typed

    def open(self, timeout_ms: int = 5_000) -> None:
        for attempt in range(3):
            if attempt:
                self.page.keyboard.press("Escape")
            self.box.click()
            if self.typed:
                self.page.keyboard.type(self.typed)
            try:
                self.item.wait_for(state="visible", timeout=timeout_ms)
                return
            except Exception:  # the list closed again (the widget was redrawn)
                continue
        self.item.wait_for(state="visible", timeout=timeout_ms)

    def inner_text(self) -> str:
        return self.item.inner_text()

    def click(self) -> None:
        for _ in range(3):
            try:
                self.item.click(timeout=3_000)
                return
            except Exception:  # closed by a redraw between opening and the click
                self.open()
        self.item.click()


def slider(page, label: str):
    """The range input of the ``st.slider`` labelled ``label`` (press arrow keys on it)."""
    return page.locator(f'input[type=range][aria-label="{label}"]')


def artifact_path(name: str) -> Path:
    """Path in ``tests/artifacts`` (ignored by git) for screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / re.sub(r"[^\w.-]", "_", name)


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def default_region():
    """The default region, built before the server starts (so the app loads it from cache)."""
    from geo.region import load_region

    return load_region(DEFAULT_REGION)


@pytest.fixture(scope="session")
def app_server(default_region, tmp_path_factory) -> Iterator[AppServer]:
    """The app, started as users start it, with the network guard in every Python process."""
    server = start_app(tmp_path_factory.mktemp("app"))
    try:
        yield server
    finally:
        stop_app(server)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (never downloads a browser)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium fehlt: {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# ---------------------------------------------------------------------------
# Participants' phones (tests/test_participants_e2e.py)
# ---------------------------------------------------------------------------
PHONE_VIEWPORT = (360, 740)


@pytest.fixture(scope="module")
def participant_app(default_region, tmp_path_factory) -> Iterator[tuple[AppServer, int]]:
    """The app with its participant server forced onto loopback and a free port."""
    pp_port = free_port()
    server = start_app(
        tmp_path_factory.mktemp("app_pp"),
        extra_env={
            "NAHRAUM_PARTICIPANT_HOST": "127.0.0.1",
            "NAHRAUM_PARTICIPANT_PORT": str(pp_port),
        },
    )
    try:
        yield server, pp_port
    finally:
        stop_app(server)


def open_phone(browser, url: str, recorder: OutsideRecorder | None = None):
    """A phone (360×740, touch) on the participant page; returns ``(context, page)``."""
    context = browser.new_context(
        viewport={"width": PHONE_VIEWPORT[0], "height": PHONE_VIEWPORT[1]},
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        service_workers="block",
    )
    if recorder is not None:
        recorder.attach(context)
    page = context.new_page()
    if recorder is not None:
        recorder.watch_page(page)
    page.goto(url, wait_until="domcontentloaded")
    return context, page


def phone_tap_map(page, lat: float, lon: float) -> None:
    """Tap the phone's map at a position (Leaflet turns it into a click)."""
    page.wait_for_function("() => window.nahraumMap !== undefined")
    x, y = page.evaluate(
        """([lat, lon]) => { const p = window.nahraumMap.latLngToContainerPoint([lat, lon]);
        const b = document.getElementById('map').getBoundingClientRect();
        return [b.left + p.x, b.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)
