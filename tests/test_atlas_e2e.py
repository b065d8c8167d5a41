"""An atlas folder opened read-only in the app (``nahraum app --atlas``), in a real browser."""

from __future__ import annotations

import hashlib

import pytest

from geo import atlas, region

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e_helpers"]
TIMEOUT_MS = 120_000


def _state(folder) -> dict:
    """Every file of the folder with its content hash and modification time."""
    return {
        str(p.relative_to(folder)): (hashlib.sha1(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_atlas_opens_read_only(default_region, browser, tmp_path) -> None:
    from report.atlas import write_tables
    from tests.e2e_helpers import OutsideRecorder, artifact_path, select_option, start_app, stop_app

    folder = tmp_path / "atlas"
    spec = atlas.make_spec("default", "Jugend,Beratung", "walk", "pop,u18")
    assert atlas.run_atlas(spec, folder, workers=1, progress=None).ok
    write_tables(folder)
    before = _state(folder)
    server = start_app(tmp_path / "app", extra_env={"NAHRAUM_ATLAS": str(folder)})
    recorder = OutsideRecorder()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        recorder.attach(context)
        page = context.new_page()
        page.goto(server.url, wait_until="domcontentloaded")
        page.get_by_text("Atlas: Kyffhäuserkreis + Landkreis Sömmerda").wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("Nur lesen: 2 Teile (Kreis × Verkehrsart)").wait_for()
        image = page.locator("[data-testid=stImage] img").first
        image.wait_for(timeout=TIMEOUT_MS)
        n_gem = sum(len(region.load_region(k).gemeinden) for k in ("16065", "16068"))
        page.get_by_text(f"Gemeinden ({n_gem})").wait_for(timeout=TIMEOUT_MS)
        src = image.get_attribute("src")
        # another target group: a new map, the table stays one row per Gemeinde
        select_option(page, "Zielgruppe (nach Lebensphase)", "Kinder und Jugendliche unter 18")
        page.wait_for_function(
            "(before) => { const i = document.querySelector('[data-testid=stImage] img');"
            " return i && i.getAttribute('src') !== before && i.complete && i.naturalWidth > 0; }",
            arg=src,
            timeout=TIMEOUT_MS,
        )
        page.get_by_text(f"Gemeinden ({n_gem})").wait_for(timeout=TIMEOUT_MS)
        grid = page.locator("[data-testid=stDataFrame]")
        assert grid.count() == 1
        page.wait_for_timeout(500)
        page.screenshot(path=artifact_path("atlas_1280x720.png"), full_page=True)
        context.close()
    finally:
        stop_app(server)
    assert not recorder.urls, recorder.urls
    assert not server.outside_attempts()
    assert _state(folder) == before  # nothing in the atlas was written
