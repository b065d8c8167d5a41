"""notebooks/gap_analysis.ipynb runs top to bottom in a fresh kernel and shows its results."""

from __future__ import annotations

import base64
import io
import re

import pytest

from geo import settings

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = settings.REPO_ROOT / "notebooks" / "gap_analysis.ipynb"
pytestmark = pytest.mark.skipif(
    not (settings.data_dir() / "th").is_dir(), reason="real data not available"
)


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
            parts.append(out["data"].get("text/html", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel spec "python3" starts sys.executable (jupyter_client replaces "python"),
    # i.e. the interpreter of the venv that runs the tests.
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(settings.REPO_ROOT)}},
    )
    client.execute()
    return nb


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.get("outputs") and c.get("execution_count") is None for c in code)


def test_notebook_runs_without_errors(executed):
    errors = [
        o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
    ]
    assert not errors, errors[0].get("evalue") if errors else ""


def test_notebook_reports_model_table_map_and_planning_regions(executed):
    code = [c for c in executed.cells if c.cell_type == "code"]
    texts = [_text(c) for c in code]
    joined = "\n".join(texts)
    assert "Kyffhäuserkreis + Landkreis Sömmerda: 65 Gemeinden, 142.634 Einwohner:innen" in joined
    assert "Wegezeitmodell: Luftlinie × Umwegfaktor" in joined
    assert "Fahrrad" in joined
    # worst Gemeinden: an HTML table with 10 rows, sorted by the gap score
    table_cell = next(t for t in texts if "Lückenwert (Haushalts-Minuten)" in t and "<table" in t)
    body = table_cell.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 10
    # the map: a PNG displayed inline, A4 landscape at 110 dpi
    from PIL import Image

    pngs = [
        o["data"]["image/png"]
        for c in code
        for o in c.get("outputs", [])
        if "data" in o and "image/png" in o["data"]
    ]
    assert len(pngs) == 1
    with Image.open(io.BytesIO(base64.b64decode(pngs[0]))) as im:
        assert im.size == (round(297 / 25.4 * 110), round(210 / 25.4 * 110))
    assert re.search(r"luecken_familie_rad30\.png \d+ KB", joined)
    # planning regions: 4 rows + region total, sums checked in the notebook
    assert "Artern, Wiehe und Umgebung" in joined and "Region insgesamt" in joined
    assert "Summen der Planungsräume = Region insgesamt" in joined
    assert "© GeoBasis-DE / BKG" in joined and "Zensus 2022" in joined
