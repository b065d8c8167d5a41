"""The export expander in a real browser: planning regions uploaded, report map as PNG
(A4, 150 dpi), the map as shown (Chromium snapshot) and the GeoPackage, downloaded and checked.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

DOWNLOAD_TIMEOUT_MS = 90_000
PLANNING_CSV = Path(__file__).resolve().parents[1] / "data" / "planning" / "kyf_lsz_regionen.csv"


def _download(page, button_label: str):
    """Click the download button (shown once the file is made); the downloaded path."""
    button = page.get_by_role("button", name=button_label, exact=True)
    button.wait_for(state="visible", timeout=DOWNLOAD_TIMEOUT_MS)
    with page.expect_download(timeout=DOWNLOAD_TIMEOUT_MS) as info:
        button.click()
    download = info.value
    return download.suggested_filename, Path(download.path())


def test_export_expander(app_server, browser, tmp_path) -> None:
    from PIL import Image

    from tests.e2e_helpers import OutsideRecorder, artifact_path, open_app

    recorder = OutsideRecorder()
    context, page, _frame = open_app(browser, app_server.url, recorder)
    try:
        page.get_by_text("Export", exact=True).click()
        expander = page.locator("[data-testid=stExpander]", has_text="Karte für Berichte")
        expander.locator("input[type=file]").set_input_files(str(PLANNING_CSV))
        page.get_by_text("Planungsräume aus", exact=False).wait_for(timeout=DOWNLOAD_TIMEOUT_MS)
        assert page.get_by_text("Fehler").count() == 0
        make = page.get_by_role("button", name="Karte erstellen", exact=True)
        make.wait_for(state="visible")
        make.click()
        name, path = _download(page, "Karte herunterladen")
        assert name.endswith(".png")
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(io.BytesIO(data)) as img:
            assert img.size == (1754, 1240)  # A4 landscape at 150 dpi
            dpi = img.info.get("dpi")
            assert dpi is not None and round(dpi[0]) == 150 and round(dpi[1]) == 150

        page.get_by_role("button", name="Bild der Karte erstellen", exact=True).click()
        name, path = _download(page, "Bild herunterladen")
        assert name.endswith(".png")
        with Image.open(path) as img:
            assert img.size == (1600, 1000)

        page.get_by_role("button", name="GeoPackage erstellen", exact=True).click()
        name, path = _download(page, "GeoPackage herunterladen")
        assert name.endswith(".gpkg")
        gpkg = tmp_path / name
        shutil.copyfile(path, gpkg)
        import pyogrio

        layers = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
        assert {"gemeinden", "zellen", "angebote", "planungsraeume"} <= layers, layers
        page.screenshot(path=artifact_path("export_expander.png"), full_page=True)
    finally:
        context.close()
    assert recorder.urls == []
