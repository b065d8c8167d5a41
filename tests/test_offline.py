"""No request leaves the machine: app server and browser, with the default settings.

The server runs with ``tests/netguard/sitecustomize.py`` on ``PYTHONPATH``: every DNS
lookup of another host, TCP connect or UDP send to a non-loopback address is recorded
and blocked. The browser routes every request through a recorder that aborts and
records non-loopback URLs. Both lists must stay empty while the map renders and is used.
A CDN link left in the map would show up in the browser list (self-tests below prove
that the recorders catch such requests).
"""

from __future__ import annotations

import subprocess
import sys

import folium
import pytest

# Fixtures app_server, browser; helpers are imported inside the tests (after pytest
# registered the plugin, so that its asserts are rewritten).
pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e


def test_no_request_leaves_the_machine(app_server, browser) -> None:
    from tests.e2e_helpers import OutsideRecorder, open_app

    recorder = OutsideRecorder()
    context, page, frame = open_app(browser, app_server.url, recorder)
    try:
        # Use the map a little: all layers on, zoom in (labels, raster at full size).
        for label in frame.locator(".leaflet-control-layers-overlays label").all():
            box = label.locator("input")
            if not box.is_checked():
                box.check()
        frame.locator(".leaflet-control-zoom-in").click()
        frame.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(2000)
    finally:
        context.close()

    events = app_server.netguard_events()
    assert any(e["kind"] == "active" for e in events), (
        "Netzwerkwächter war im App-Prozess nicht aktiv:\n" + app_server.log_tail()
    )
    assert recorder.urls == [], f"Browser wollte ins Internet: {recorder.urls}"
    assert app_server.outside_attempts() == [], (
        f"App-Server wollte ins Internet: {app_server.outside_attempts()}"
    )


def test_browser_recorder_catches_cdn_links(browser) -> None:
    """Self-test: folium's own CDN links are caught (so a remaining one fails the test)."""
    from tests.e2e_helpers import OutsideRecorder

    css = dict(folium.Map.default_css)["leaflet_css"]
    js = dict(folium.Map.default_js)["jquery"]
    recorder = OutsideRecorder()
    context = browser.new_context()
    recorder.attach(context)
    page = context.new_page()
    page.route(
        "http://localhost:9/",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<link rel="stylesheet" href="{css}"><script src="{js}"></script>',
        ),
    )
    try:
        page.goto("http://localhost:9/")
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert css in recorder.urls and js in recorder.urls


def test_server_guard_catches_connections(tmp_path) -> None:
    """Self-test: the injected guard records and blocks DNS and connects from Python."""
    from tests.e2e_helpers import NETGUARD_DIR

    log = tmp_path / "guard.jsonl"
    code = (
        "import socket\n"
        "for call in (lambda: socket.getaddrinfo('cdn.example.net', 443),\n"
        "             lambda: socket.create_connection(('198.51.100.7', 443), timeout=1)):\n"
        "    try:\n"
        "        call()\n"
        "    except OSError:\n"
        "        pass\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
        "socket.create_connection(s.getsockname(), timeout=1).close()\n"
    )
    env = {"PYTHONPATH": str(NETGUARD_DIR), "NAHRAUM_NETGUARD_LOG": str(log), "PATH": "/usr/bin"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    text = log.read_text()
    assert '"active"' in text
    assert "cdn.example.net" in text and "198.51.100.7" in text
    assert "127.0.0.1" not in text  # loopback passes
