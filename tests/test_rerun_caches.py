"""What a rerun reuses: the kept Styler's display values (ui._styler: converted once, the same
bytes as Streamlit's own) and the sites of a scenario state (ui.state.scenario_sites)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from streamlit.elements.lib import pandas_styler_utils as psu
from streamlit.proto.ArrowData_pb2 import ArrowData

from present import tables
from ui import _styler


def _styled(values: list[float]) -> object:
    df = pd.DataFrame({"Gemeinde": [f"G{i}" for i in range(len(values))], "Anteil": values})
    return tables.styled(df, [], {"Anteil": 1}, "de")


def _proto(styler: object) -> ArrowData:
    proto = ArrowData()
    psu.marshall_styler(proto, styler, "u")
    return proto


def _texts(proto: ArrowData) -> list[str]:
    table = pa.ipc.open_stream(proto.styler.display_values).read_all().to_pandas()
    return [str(v) for v in table["Anteil"]]


def test_kept_styler_display_values_equal_streamlit_and_are_reused(monkeypatch) -> None:
    assert _styler.install() and _styler.install()  # idempotent: wrapped once
    assert not getattr(psu._marshall_display_values.__wrapped__, "_nahraum_kept", False)
    conversions = []
    convert = psu._use_display_values
    monkeypatch.setattr(
        psu, "_use_display_values", lambda df, styles: conversions.append(1) or convert(df, styles)
    )
    monkeypatch.setattr(_styler, "_kept", type(_styler._kept)())

    styler = _styled([1.24, 30.0, 7.5])
    first, second = _proto(styler), _proto(styler)
    reference = ArrowData()
    psu._marshall_display_values.__wrapped__(
        reference, styler.data, styler._translate(False, False)
    )
    assert first.styler.display_values == reference.styler.display_values
    assert second.styler.display_values == reference.styler.display_values
    assert _texts(first) == ["1,2", "30,0", "7,5"]  # German decimals from present.tables
    assert len(conversions) == 2  # first call and the reference; the second call reused it

    other = _proto(_styled([2.0, 3.0, 4.0]))  # another table: converted anew
    assert _texts(other) == ["2,0", "3,0", "4,0"]
    assert len(conversions) == 3


def test_unkept_styler_is_converted_every_time(monkeypatch) -> None:
    _styler.install()
    conversions = []
    convert = psu._use_display_values
    monkeypatch.setattr(
        psu, "_use_display_values", lambda df, styles: conversions.append(1) or convert(df, styles)
    )
    df = pd.DataFrame({"Anteil": [1.0, 2.0]})
    styler = df.style.format("{:.2f}")  # not kept: new styles on every call
    a, b = _proto(styler), _proto(styler)
    assert a.styler.display_values == b.styler.display_values
    assert len(conversions) == 2


def test_scenario_sites_once_per_scenario_state(tmp_default_region) -> None:
    """ui.state.scenario_sites: the same frame while the scenario's changes are the same
    (a threshold change reruns with it), a new one after a change; equal to
    geo.scenario.changes_frame."""
    from geo.scenario import AddSite, Scenario
    from ui.state import scenario_sites

    region = tmp_default_region
    x, y = region.gemeinden.geometry.iloc[0].representative_point().coords[0]
    one = Scenario(
        name="A", region="default", changes=(AddSite(x=x, y=y, name="Neu", category="Beratung"),)
    )
    assert scenario_sites(region, Scenario(name="leer", region="default")) is None
    first = scenario_sites(region, one)
    again = scenario_sites(region, Scenario(name="B", region="default", changes=one.changes))
    assert again is first  # same changes, another session's scenario object: shared
    import geo.scenario as gs

    pd.testing.assert_frame_equal(
        pd.DataFrame(first.drop(columns="geometry")),
        pd.DataFrame(gs.changes_frame(region.services, one).drop(columns="geometry")),
    )
    two = Scenario(
        name="A",
        region="default",
        changes=(*one.changes, AddSite(x=x + 500, y=y, name="Zweiter", category="Jugend")),
    )
    second = scenario_sites(region, two)
    assert second is not first and len(second) == len(first) + 1
