"""A target year in a real browser: a projection table uploaded, 2030 chosen, every figure
follows and is labelled "Prognose 2030 (Quelle …)"; a bad table is refused in German.
"""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["tests.e2e_helpers"]
pytestmark = pytest.mark.e2e

TIMEOUT_MS = 90_000
BEYOND = "Zielgruppe über 15 min"
# Both Kreise lose 10 % of their inhabitants by 2030 (hand-made, not a real projection).
PROJECTION = "Kreis;Zielgruppe;2025;2030\n16065;pop;1000;900\n16068;pop;2000;1800\n"


def _count(text: str | None) -> int:
    assert text, "Kennzahl fehlt"
    match = re.search(r"\d{1,3}(?:\.\d{3})*", text)
    assert match, text
    return int(match.group(0).replace(".", ""))


def _wait_for_change(page, label: str, old: str | None) -> str:
    from tests.e2e_helpers import metric

    page.wait_for_function(
        """([label, old]) => {
            const m = [...document.querySelectorAll('[data-testid=stMetric]')]
                .find(e => e.innerText.includes(label));
            return m && !m.innerText.includes(old);
        }""",
        arg=[label, old],
        timeout=TIMEOUT_MS,
    )
    return metric(page, label)


def test_target_year_from_a_projection(app_server, browser, tmp_path) -> None:
    from tests.e2e_helpers import OutsideRecorder, artifact_path, metric, open_app, select_option

    good = tmp_path / "prognose_kreise.csv"
    good.write_text(PROJECTION, "utf-8")
    bad = tmp_path / "prognose_kaputt.csv"
    bad.write_text("Kreis;Zielgruppe;2025;2030\n16065;pop;1000;viel\n", "utf-8")
    recorder = OutsideRecorder()
    context, page, _frame = open_app(browser, app_server.url, recorder)
    try:
        page.wait_for_function(
            f"() => document.body.innerText.includes('{BEYOND}')", timeout=TIMEOUT_MS
        )
        before = metric(page, BEYOND)
        page.get_by_text("Bedarf: amtliche Zahlen und Zieljahr", exact=True).click()
        expander = page.locator("[data-testid=stExpander]", has_text="Bevölkerungsprognose")
        uploads = expander.locator("input[type=file]")
        # A bad table: German error naming row and column; the figures stay as they are.
        uploads.nth(1).set_input_files(str(bad))
        page.get_by_text("Zeile 2", exact=False).wait_for(timeout=TIMEOUT_MS)
        error = page.locator("[data-testid=stAlert]", has_text="Zeile 2").inner_text()
        assert "2030" in error and "viel" in error, error
        assert metric(page, BEYOND) == before
        # The good table, then the year 2030.
        uploads.nth(1).set_input_files(str(good))
        page.wait_for_function(
            "() => !document.body.innerText.includes('Zeile 2')", timeout=TIMEOUT_MS
        )
        select_option(page, "Zieljahr", "2030")
        page.get_by_text("Prognose 2030 (Quelle:", exact=False).first.wait_for(timeout=TIMEOUT_MS)
        after = _wait_for_change(page, BEYOND, before)
        # Inhabitants ×0.9 in both Kreise: the people beyond 15 min scale with them.
        assert _count(after) == pytest.approx(0.9 * _count(before), rel=0.01), (before, after)
        assert "prognose_kreise.csv" in page.locator("body").inner_text()
        page.screenshot(path=artifact_path("demand_2030.png"), full_page=True)
        # Back to today: the figures return.
        select_option(page, "Zieljahr", "heute (ohne Prognose)")
        assert _wait_for_change(page, BEYOND, after) == before
    finally:
        context.close()
    assert recorder.urls == []
