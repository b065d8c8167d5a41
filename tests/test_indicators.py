"""Indicator import (BA-style CSV, XLSX), validation, need weights, choropleth, persistence, fuzz.

The fixture files hold made-up values for real AGS of the default region; they
are test data only (their first line says so) and never shown in the app.
"""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo import _tables, settings
from geo import indicators as ind
from geo._errors import CacheError, InputError, Problem
from present import describe

FIX = Path(__file__).parent / "fixtures" / "indicators"
BA = FIX / "ba_sgb2_testdaten_cp1252.csv"
SIMPLE = FIX / "einfach_utf8_testdaten.csv"
XLSX = FIX / "formeln_html_testdaten.xlsx"
BOUNDARIES = settings.data_dir() / "th/boundaries/vg250ew_gemeinden_th.geojson"

# Real AGS and names of the default region; populations made up (round numbers).
GEM = pd.DataFrame(
    {
        "ags": ["16065003", "16065067", "16065048", "16068051", "16068034", "16068002"],
        "name": [
            "Bad Frankenhausen/Kyffhäuser",
            "Sondershausen",
            "Niederbösa",
            "Sömmerda",
            "Kölleda",
            "Andisleben",
        ],
        "pop": [10000.0, 20000.0, 100.0, 19000.0, 6000.0, 500.0],
    }
)
SGB2 = "SGB II-Quote in %"
HTML = '<img src=x onerror="alert(1)"><script>alert("x")</script>'
FORMULAS = (
    '=HYPERLINK("http://example.invalid";"klick")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A3)",
    "=1+1",
    "-2+3",
)


def csv_bytes(rows: list[list[object]], sep: str = ";", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def messages(items: list[Problem]) -> str:
    return "\n".join(str(p) for p in items)


def where(items: list[Problem], text: str) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in items if text in p.message]


# ---------------------------------------------------------------------------
# Hand tests on realistic files
# ---------------------------------------------------------------------------
def test_ba_style_csv_with_preamble_ars_markers_and_totals():
    t = ind.import_indicators(BA, GEM)
    assert t.file == BA.name and t.imported_at
    assert list(t.values.index) == ["16065003", "16065067", "16065048", "16068051"]
    assert t.indicators == [SGB2, "SGB II-Quote unter 15 Jahren in %", "Arbeitslosenquote"]
    assert t.population == "Einwohner"
    v = t.values
    assert v.loc["16065003", SGB2] == 10.0 and v.loc["16065067", SGB2] == 12.0
    assert v.loc["16068051", "Arbeitslosenquote"] == 6.0
    assert v.loc["16065067", "Einwohner"] == 20000.0  # "20.000": thousands dot
    assert v.loc["16065048"].drop("Einwohner").isna().all()  # "*" and "-"
    assert v.dtypes.eq(float).all()
    assert (
        t.units[SGB2] == "%"
        and t.units["Arbeitslosenquote"] == ""
        and t.units["Einwohner"] == "Personen"
    )
    assert t.problems == []
    w = t.warnings
    assert where(w, "bezeichnet ein Land") == [(1, "Regionalschlüssel")]
    assert [r for r, _ in where(w, "bezeichnet einen Kreis")] == [2, 6]
    assert where(w, "16051000 liegt außerhalb der Region") == [(8, "Regionalschlüssel")]
    assert [r for r, _ in where(w, "Fußnote")] == [10, 11, 12]
    assert where(w, "4 Titel-/Erläuterungszeile(n)") == [(None, None)]
    assert "(„*“; Zeile 5)" in messages(w) and "(„-“; Zeile 5)" in messages(w)
    assert "2 von 6 Gemeinden der Region fehlen" in messages(w)
    assert t.missing == {"16068034": "Kölleda", "16068002": "Andisleben"}
    s = t.summary()
    assert s["gemeinden_matched"] == 4 and s["gemeinden_total"] == 6
    assert [i["column"] for i in s["indicators"]] == t.indicators
    assert s["indicators"][0]["values"] == 3 and s["errors"] == []
    assert {"ags": "16068002", "name": "Andisleben"} in s["missing"]
    json.dumps(s)  # serialisable for the app and exports


def test_simple_csv_duplicates_unknown_ags_and_text():
    t = ind.import_indicators(SIMPLE, GEM)
    col = "Kinderarmut (SGB-II-Quote u15)"
    assert t.indicators == [col]  # "Stand" is descriptive
    assert t.values.loc["16065067", col] == 24.25  # decimal point, not thousands
    assert t.values.loc["16068051", col] == 16.0  # the first of the duplicate rows
    assert math.isnan(t.values.loc["16065048", col])
    assert where(t.problems, "doppelt") == [(4, "AGS")]
    assert where(t.problems, "16065999 gehört zu keiner Gemeinde") == [(5, "AGS")]
    assert where(t.problems, "„abc“ ist keine Zahl") == [(6, col)]
    assert all(p.file == SIMPLE.name for p in t.problems)
    assert "„Stand“" in messages(t.warnings)


def test_xlsx_formulas_are_text_and_never_evaluated():
    raw = ind.read_indicators(XLSX)
    assert raw.attrs["format"] == "xlsx" and raw.attrs["preamble_rows"] == 3
    assert raw.loc[2, "Arbeitslosenquote"] == "=B6*2"
    assert raw.loc[1, "Bemerkung"].startswith("=HYPERLINK(")
    assert raw.loc[2, "Name"].startswith("<script>")  # kept verbatim as text
    t = ind.validate_indicators(raw, GEM)
    assert t.indicators == ["Kinderarmut in %", "Arbeitslosenquote"]
    assert t.values.loc["16068051", "Kinderarmut in %"] == 16.0  # text "16,0 %"
    assert t.values.loc["16065003", "Kinderarmut in %"] == 20.5
    formula = where(t.problems, "Tabellenformel")
    assert sorted(formula) == [
        (2, "Arbeitslosenquote"),
        (4, "Arbeitslosenquote"),
        (5, "Kinderarmut in %"),
    ]
    assert np.isnan(t.values.loc["16065067", "Arbeitslosenquote"])


@pytest.mark.parametrize(
    ("text", "status", "value", "pct"),
    [
        ("12,5", "ok", 12.5, False),
        ("12,5 %", "ok", 12.5, True),
        ("12,5%", "ok", 12.5, True),
        ("1.234", "ok", 1234.0, False),
        ("1.234.567", "ok", 1234567.0, False),
        ("1.234,5", "ok", 1234.5, False),
        ("1,234.5", "ok", 1234.5, False),
        ("0.125", "ok", 0.125, False),
        ("12.5", "ok", 12.5, False),
        ("-3", "ok", -3.0, False),
        ("+5", "ok", 5.0, False),
        ("1e3", "ok", 1000.0, False),
        (" 1 234 ", "ok", 1234.0, False),
        ("1\u202f234,5", "ok", 1234.5, False),
        ("0", "ok", 0.0, False),
        ("", "empty", None, False),
        ("*", "marker", None, False),
        ("-", "marker", None, False),
        ("–", "marker", None, False),
        (".", "marker", None, False),
        ("x", "marker", None, False),
        ("X", "marker", None, False),
        ("…", "marker", None, False),
        ("k. A.", "marker", None, False),
        ("nan", "nonfinite", None, False),
        ("NaN", "nonfinite", None, False),
        ("inf", "nonfinite", None, False),
        ("-Infinity", "nonfinite", None, False),
        ("1e999", "nonfinite", None, False),
        ("=1+1", "formula", None, False),
        ("@SUM(A1)", "formula", None, False),
        ("+cmd", "formula", None, False),
        ("-2+3", "formula", None, False),
        ("abc", "invalid", None, False),
        ("1.2.3,4", "invalid", None, False),
        ("12,5 (vorläufig)", "invalid", None, False),
        ("1_000", "invalid", None, False),
        ("١٢", "invalid", None, False),
    ],
)
def test_parse_value(text, status, value, pct):
    got = ind.parse_value(text)
    assert got[0] == status and got[2] == pct
    assert got[1] == value if value is not None else math.isnan(got[1])


def test_parse_value_dot_as_decimal_when_the_column_says_so():
    assert ind.parse_value("1.234", dot_thousands=False)[1] == 1.234
    t = ind.validate_indicators(
        pd.DataFrame(
            {
                "AGS": ["16065003", "16065067", "16068051"],
                "a": ["1.234", "12.5", "3"],
                "b": ["1.234", "12,5", "3"],
                "c": ["1.234", "2.000", "3"],
            }
        ),
        GEM,
    )
    assert list(t.values["a"]) == [1.234, 12.5, 3.0]
    assert list(t.values["b"]) == [1234.0, 12.5, 3.0]
    assert list(t.values["c"]) == [1234.0, 2000.0, 3.0]
    assert [c for _, c in where(t.warnings, "als Tausender gelesen")] == ["c"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16065003", ("ags", "16065003")),
        (16065003, ("ags", "16065003")),
        (16065003.0, ("ags", "16065003")),
        ("16065003.0", ("ags", "16065003")),
        ("16 065 003", ("ags", "16065003")),
        ("'16065003", ("ags", "16065003")),
        ("1001000", ("ags", "01001000")),
        (1001000, ("ags", "01001000")),
        ("160650003003", ("ags", "16065003")),
        ("10010000000", ("ags", "01001000")),
        ("16", ("aggregate", "16")),
        ("16065", ("aggregate", "16065")),
        ("160655002", ("aggregate", "160655002")),
        ("abc", ("invalid", "abc")),
        ("123456", ("invalid", "123456")),
        ("1606500030031", ("invalid", "1606500030031")),
        ("١٦٠٦٥٠٠٣", ("invalid", "١٦٠٦٥٠٠٣")),
        (16065003.5, ("invalid", "16065003.5")),
        (float("nan"), ("invalid", "nan")),
        (None, ("invalid", "")),
    ],
)
def test_normalize_key(value, expected):
    assert ind.normalize_key(value) == expected


def test_lost_leading_zeros_and_numeric_frames():
    gem = pd.DataFrame({"ags": ["01001000", "01002000"], "name": ["Flensburg", "Kiel"]})
    t = ind.import_indicators(
        csv_bytes([["Kennziffer", "Quote"], ["1001000", "3,5"], ["010020000000", "4"]]),
        gem,
        filename="sh.csv",
    )
    assert dict(t.values["Quote"]) == {"01001000": 3.5, "01002000": 4.0}
    # a frame built in Python: numeric cells are taken as they are (no thousands guess)
    t = ind.validate_indicators(
        pd.DataFrame({"ags": [1001000, 1002000], "x": [1.234, np.inf]}), gem
    )
    assert t.values.loc["01001000", "x"] == 1.234
    assert where(t.problems, "keine endliche Zahl") == [(2, "x")]


def test_html_in_headers_names_and_file_name_stays_text():
    rows = [["AGS", "Name", HTML], ["16065003", HTML, "5"], ["16065067", "Sondershausen", "7"]]
    t = ind.import_indicators(csv_bytes(rows), GEM, filename="../../etc/<b>passwd</b>.csv")
    assert t.indicators == [HTML] and t.labels[HTML] == HTML
    assert "/" not in t.file and "<" not in t.file and ".." not in t.file
    assert where(t.warnings, "passt nicht zu Gemeinde 16065003") == [(1, "Name")]
    assert all(p.file == t.file for p in t.problems + t.warnings)


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"", "a.csv", "leer"),
        (b"Name;Quote\nSondershausen;12\n", "a.csv", "Keine Kopfzeile"),
        (b"AGS;Quote\n", "a.csv", "Keine Datenzeilen"),
        (b"AGS;Quote\n09162000;12\n", "a.csv", "Keine Zeile gehört zu einer Gemeinde"),
        (b"AGS;Name\n16065003;Bad Frankenhausen\n", "a.csv", "Keine Indikatorspalte"),
        (b'{"type": "FeatureCollection", "features": []}', "a.geojson", "CSV- oder Excel"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "a.xls", "alte Excel-Format"),
        (b"PK\x03\x04 kaputt", "a.xlsx", "Keine gültige Excel-Datei"),
        ("AGS;Quote\n16065003;1\n".encode("utf-32"), "a.csv", "UTF-32"),
        (b"AGS;Quote\n16065003;\x81\x8d\n", "a.csv", "Zeichenkodierung"),
        (
            ("AGS;" + ";".join(f"q{i}" for i in range(201)) + "\n16065003;1\n").encode(),
            "a.csv",
            "höchstens 200",
        ),
    ],
)
def test_file_level_errors_are_german_input_errors(data, filename, expected):
    with pytest.raises(InputError, match=expected) as err:
        ind.import_indicators(data, GEM, filename=filename)
    assert filename in str(err.value) or "Upload" in str(err.value)


def test_region_mismatch_lists_the_rows():
    with pytest.raises(InputError) as err:
        ind.import_indicators(
            csv_bytes([["AGS", "Quote"], ["09162000", "1"], ["16065999", "2"]]),
            GEM,
            filename="bayern.csv",
        )
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "AGS"), (1, "AGS")]


def test_wrong_encodings():
    rows = [["AGS", "Gemeinde", "Quote"], ["16065003", "Bad Frankenhausen/Kyffhäuser", "12,5"]]
    for enc in ("utf-8", "utf-8-sig", "cp1252", "latin-1"):
        t = ind.import_indicators(csv_bytes(rows, encoding=enc), GEM, filename="q.csv")
        assert t.values.loc["16065003", "Quote"] == 12.5 and not t.warnings[1:-1]
    for enc in ("utf-16", "utf-16-le"):  # Excel's "Unicode-Text" is read
        t = ind.import_indicators(csv_bytes(rows, encoding=enc), GEM, filename="q.csv")
        assert t.values.loc["16065003", "Quote"] == 12.5
    with pytest.raises(InputError, match="UTF-32"):
        ind.import_indicators(csv_bytes(rows, encoding="utf-32"), GEM, filename="q.csv")


# ---------------------------------------------------------------------------
# Size limit: checked before parsing
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["path", "bytes", "file", "upload"])
def test_oversized_file_is_rejected_before_parsing(monkeypatch, kind):
    data = BA.read_bytes()
    assert len(data) > 400
    # Sanity: without the limit the file imports fine (so only the size check can stop it).
    assert len(ind.import_indicators(data, GEM, filename="ba.csv").values) == 4

    def never(*_args, **_kwargs):
        raise AssertionError("parsed despite the size limit")

    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 400)
    monkeypatch.setattr(_tables, "decode", never)
    monkeypatch.setattr(_tables, "parse_csv", never)
    monkeypatch.setattr(_tables, "parse_xlsx", never)

    class Upload(io.BytesIO):  # like streamlit's UploadedFile: has a size
        name = "gross.csv"
        size = len(data)

    source = {"path": BA, "bytes": data, "file": io.BytesIO(data), "upload": Upload(data)}[kind]
    with pytest.raises(InputError, match="größer als"):
        ind.import_indicators(source, GEM, filename=None if kind == "path" else "gross.csv")


# ---------------------------------------------------------------------------
# Need weights, cell weights, choropleth
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ba() -> ind.IndicatorTable:
    return ind.import_indicators(BA, GEM)


def test_need_weights_relative_population_weighted(ba):
    w = ind.need_weights(ba, SGB2, GEM)
    ref = (10 * 10000 + 12 * 20000 + 8 * 19000) / 49000  # Niederbösa "*" has no value
    assert w.reference == pytest.approx(ref)
    assert w["16065003"] == pytest.approx(10 / ref) and w["16068051"] == pytest.approx(8 / ref)
    assert w["16065048"] == w["16068034"] == w["16068002"] == 1.0
    assert set(w) == set(GEM["ags"]) and isinstance(w, dict)
    assert sorted(w.missing) == ["16065048", "16068002", "16068034"]
    assert w.weighting == {"by": "file", "column": "Einwohner"}
    formula = describe.need_formula(w.info())
    assert "„Einwohner“ aus der Datei" in formula and "(10,04 %, " in formula, formula
    assert w.notes[0] == {
        "code": "nw_missing",
        "n": 3,
        "names": [GEM.set_index("ags").loc[a, "name"] for a in w.missing],
        "more": 0,
    }
    text = describe.need_notes(w)
    assert text[0].startswith("Ohne Wert, daher Gewicht 1,0") and "3 Gemeinden – " in text[0]
    assert describe.need_formula(w.info(), "en").startswith("Need weight = ")
    # population-weighted mean of the weights over the Gemeinden with a value is 1
    p = ba.values["Einwohner"].reindex(["16065003", "16065067", "16068051"])
    assert np.average([w[a] for a in p.index], weights=p) == pytest.approx(1.0)
    # other means: unweighted, region population, a mapping
    assert ind.need_weights(ba, SGB2, GEM, population=None).reference == pytest.approx(10.0)
    gem = GEM.assign(pop=[1.0, 1.0, 1.0, 2.0, 1.0, 1.0])
    t = ind.IndicatorTable(ba.values.drop(columns="Einwohner"), labels=ba.labels)
    assert ind.need_weights(t, SGB2, gem).reference == pytest.approx((10 + 12 + 16) / 4)
    m = ind.need_weights(ba, SGB2, GEM, population={16065003: 1, "16065067": 3})
    assert m.reference == pytest.approx((10 + 36) / 4)
    assert {"code": "nw_no_pop", "n": 1} in m.notes
    assert describe.need_notes(m)[1].endswith("(Gewicht aus dem eigenen Wert): 1 Gemeinde")
    # by label, case- and punctuation-insensitive
    assert ind.need_weights(ba, "sgb ii quote in", GEM) == w


def test_need_weights_errors_and_zero_note():
    gem = GEM.iloc[:3]
    table = ind.validate_indicators(
        pd.DataFrame(
            {
                "AGS": ["16065003", "16065067", "16065048"],
                "neg": ["-1", "2", "3"],
                "zero": ["0", "2", "4"],
                "null": ["0", "0", "*"],
                "leer": ["*", "*", "1"],
            }
        ),
        gem,
    )
    with pytest.raises(InputError, match="negative Werte"):
        ind.need_weights(table, "neg", gem)
    with pytest.raises(InputError, match="Mittelwert .* ist 0"):
        ind.need_weights(table, "null", gem)
    with pytest.raises(InputError, match="Unbekannte Gewichtungsmethode"):
        ind.need_weights(table, "zero", gem, method="rank")
    with pytest.raises(InputError, match="nicht in der Tabelle"):
        ind.need_weights(table, "SGB III", gem)
    with pytest.raises(InputError, match="für keine Gemeinde"):
        ind.need_weights(table, "leer", gem.iloc[:2])
    w = ind.need_weights(table, "zero", gem)
    assert w["16065003"] == 0.0 and {"code": "nw_zero", "n": 1} in w.notes
    assert "Gewicht 0" in " ".join(describe.need_notes(w))


def test_cell_weights():
    w = {"16065003": 2.0, 16065067: 0.5, "01001000": 3.0, "16068051": float("nan")}
    cells = ["16065003", "16065067", "16065003", "99999999", None, "1001000", "16068051"]
    out = ind.cell_weights(cells, w)
    assert out.tolist() == [2.0, 0.5, 2.0, 1.0, 1.0, 3.0, 1.0]
    assert ind.cell_weights(np.array([16065003, 16065067]), w, default=0.0).tolist() == [2, 0.5]
    assert ind.cell_weights(pd.Series(["16065003", np.nan]), w).tolist() == [2.0, 1.0]
    assert ind.cell_weights([], w).shape == (0,)


def test_choropleth_values_aligned_to_gemeinden(ba):
    gem = GEM.sample(frac=1.0, random_state=3).set_index(pd.Index(list("abcdef")))
    s = ind.choropleth_values(ba, SGB2, gem)
    assert list(s.index) == list("abcdef") and s.dtype == float
    expected = ba.values[SGB2].reindex(gem["ags"]).to_numpy()
    np.testing.assert_array_equal(s.to_numpy(), expected)
    assert s.attrs["unit"] == "%" and s.attrs["source"] == BA.name


# ---------------------------------------------------------------------------
# Persistence and "no partial state"
# ---------------------------------------------------------------------------
def assert_same(a: ind.IndicatorTable, b: ind.IndicatorTable) -> None:
    pd.testing.assert_frame_equal(a.values, b.values, check_index_type=False)
    assert (a.labels, a.units, a.population, a.missing, a.file, a.imported_at) == (
        b.labels,
        b.units,
        b.population,
        b.missing,
        b.file,
        b.imported_at,
    )
    assert [p.to_dict() for p in a.problems + a.warnings] == [
        p.to_dict() for p in b.problems + b.warnings
    ]


def test_save_load_roundtrip(tmp_path, ba):
    assert ind.load_indicators(tmp_path) is None
    meta_path = ind.save_indicators(ba, tmp_path)
    back = ind.load_indicators(tmp_path)
    assert_same(ba, back)
    assert back.summary() == ba.summary()
    meta = json.loads(meta_path.read_text("utf-8"))
    assert meta["file"] == BA.name and meta["imported_at"] == ba.imported_at
    assert [c["name"] for c in meta["columns"]] == list(ba.values.columns)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ind.META_FILE, meta["data"]])
    # a second save replaces the first; the table from a hostile file name stays harmless
    t = ind.import_indicators(SIMPLE.read_bytes(), GEM, filename="..\\..\\x/<i>y</i>.csv")
    ind.save_indicators(t, tmp_path)
    assert_same(t, ind.load_indicators(tmp_path))
    assert json.loads(meta_path.read_text("utf-8"))["file"] == "i_.csv"  # last path part only


def test_damaged_store_gives_cache_error(tmp_path, ba):
    meta_path = ind.save_indicators(ba, tmp_path)
    meta = json.loads(meta_path.read_text("utf-8"))
    data_path = tmp_path / meta["data"]
    data_path.write_bytes(data_path.read_bytes()[:-10])
    with pytest.raises(CacheError, match="Prüfsumme"):
        ind.load_indicators(tmp_path)
    meta_path.write_text(json.dumps({**meta, "data": "../../etc/passwd"}), "utf-8")
    with pytest.raises(CacheError, match="Verweis"):
        ind.load_indicators(tmp_path)
    meta_path.write_text("{kaputt", "utf-8")
    with pytest.raises(CacheError, match="beschädigt"):
        ind.load_indicators(tmp_path)


BAD_UPLOADS = [
    (b"", "leer.csv"),
    (BA.read_bytes()[:150], "abgeschnitten.csv"),
    (XLSX.read_bytes()[:900], "abgeschnitten.xlsx"),
    (b"AGS;Quote\n09162000;12\n", "bayern.csv"),
    (b"AGS;Quote\n16065003;=1+1\n", "formel.csv"),
    (b"\x00\xff" * 50, "binaer.csv"),
]


def test_failed_import_or_save_leaves_saved_table_unchanged(tmp_path, ba, monkeypatch):
    ind.save_indicators(ba, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for data, name in BAD_UPLOADS:
        with pytest.raises(InputError):
            table = ind.import_indicators(data, GEM, filename=name)
            ind.save_indicators(table, tmp_path)  # never reached
        assert_same(ba, ind.load_indicators(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    # a save that fails half-way (metadata not written) keeps the old table
    other = ind.import_indicators(SIMPLE, GEM)

    def fail(*_args, **_kwargs):
        raise CacheError("Platte voll")

    monkeypatch.setattr(ind, "write_json_atomic", fail)
    with pytest.raises(CacheError):
        ind.save_indicators(other, tmp_path)
    assert_same(ba, ind.load_indicators(tmp_path))
    monkeypatch.setattr(ind, "write_bytes_atomic", fail)
    with pytest.raises(CacheError):
        ind.save_indicators(other, tmp_path)
    assert_same(ba, ind.load_indicators(tmp_path))


# ---------------------------------------------------------------------------
# Fuzz / property tests
# ---------------------------------------------------------------------------
HYP = hsettings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_table(t: ind.IndicatorTable) -> None:
    """Invariants of every successful import."""
    assert isinstance(t, ind.IndicatorTable)
    v = t.values.to_numpy(dtype=float)
    assert not np.isinf(v).any()
    assert set(t.values.index) <= set(GEM["ags"]) and t.values.index.is_unique
    for p in t.problems + t.warnings:
        assert isinstance(p.message, str) and p.message
        assert p.row is None or (isinstance(p.row, int) and p.row >= 1)
    json.dumps(t.summary())


def import_or_error(data: bytes, filename: str | None) -> ind.IndicatorTable | None:
    try:
        t = ind.import_indicators(data, GEM, filename=filename)
    except InputError as exc:
        assert str(exc) and exc.message
        return None
    check_table(t)
    return t


@HYP
@given(data=st.binary(max_size=600), filename=st.sampled_from(["x.csv", "x.xlsx", "x.txt", None]))
def test_fuzz_random_bytes(data, filename):
    import_or_error(data, filename)


@HYP
@given(
    prefix=st.sampled_from([b"", b"AGS;Quote\r\n", b"PK\x03\x04", b"\xef\xbb\xbf"]),
    data=st.binary(max_size=300),
)
def test_fuzz_random_bytes_after_plausible_starts(prefix, data):
    import_or_error(prefix + data, None)


@hsettings(HYP, max_examples=40)
@given(source=st.sampled_from([BA, SIMPLE, XLSX]), cut=st.floats(0.0, 1.0))
def test_fuzz_truncated_files(source, cut):
    data = source.read_bytes()
    import_or_error(data[: int(len(data) * cut)], source.name)


@hsettings(HYP, max_examples=30)
@given(
    text=st.text(max_size=200),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32-le", "cp1252", "latin-1", "cp850"]),
)
def test_fuzz_wrong_encodings(text, encoding):
    try:
        data = ("AGS;Quote\r\n16065003;" + text).encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    import_or_error(data, "q.csv")


KEYS = st.one_of(
    st.sampled_from(
        [
            *GEM["ags"],
            "160650003003",
            "16065",
            "16",
            "16051000",
            "16065999",
            "16 065 067",
            "",
            "abc",
            "=A1",
            HTML,
        ]
    ),
    st.text(max_size=10),
)
CELLS = st.one_of(
    st.decimals(min_value=-(10**7), max_value=10**7, places=2).map(
        lambda d: f"{d:,.2f}".translate(str.maketrans(",.", ".,"))
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "*",
            "-",
            ".",
            "x",
            "…",
            "/",
            "nan",
            "inf",
            "-inf",
            "1e999",
            "12,5 %",
            "1.234",
            "",
            "abc",
            HTML,
            *FORMULAS,
        ]
    ),
    st.text(max_size=12),
)


@hsettings(HYP, max_examples=40)
@given(
    rows=st.lists(st.tuples(KEYS, CELLS, CELLS), min_size=1, max_size=8),
    fmt=st.sampled_from(["csv;", "csv,", "xlsx"]),
    preamble=st.integers(0, 3),
    encoding=st.sampled_from(["utf-8", "cp1252"]),
)
def test_fuzz_random_tables(rows, fmt, preamble, encoding):
    table = [[f"TESTDATEN Titel {i}"] for i in range(preamble)]
    table += [["AGS", "SGB II-Quote", "Kinderarmut"], *[list(r) for r in rows]]
    if fmt == "xlsx":
        data, name = xlsx_bytes(table), "t.xlsx"
    else:
        try:
            data, name = csv_bytes(table, sep=fmt[-1], encoding=encoding), "t.csv"
        except (UnicodeEncodeError, csv.Error):
            assume(False)
    t = import_or_error(data, name)
    if t is None:
        return
    # Every value comes from a cell that parses as a finite number; formula-like,
    # NaN/inf and other text cells of the kept rows are never values but problems.
    reported = {(p.row, p.column) for p in t.problems}
    for col in t.indicators:
        j = 1 if col == "SGB II-Quote" else 2
        for ags in t.values.index:
            i = next(i for i, r in enumerate(rows) if ind.normalize_key(r[0]) == ("ags", ags))
            cell = str(rows[i][j]).strip()
            value = t.values.loc[ags, col]
            if cell.startswith(("=", "@")) or cell.lower() in ("nan", "inf", "-inf", "1e999"):
                assert np.isnan(value) and (i + 1, col) in reported
            if fmt != "xlsx" and ind.parse_value(cell)[0] in ("marker", "empty"):
                assert np.isnan(value) and (i + 1, col) not in reported


@given(
    d=st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    pct=st.booleans(),
    style=st.sampled_from(["de", "en", "plain_de"]),
)
def test_numbers_round_trip(d: Decimal, pct: bool, style: str):
    text = {
        "de": f"{d:,.2f}".translate(str.maketrans(",.", ".,")),
        "en": f"{d:,.2f}",
        "plain_de": f"{d:.2f}".replace(".", ","),
    }[style] + (" %" if pct else "")
    status, value, is_pct = ind.parse_value(text)
    assert status == "ok" and is_pct == pct
    assert value == pytest.approx(float(d), abs=1e-9)


# ---------------------------------------------------------------------------
# The real default region (65 Gemeinden), if the data folder is there
# ---------------------------------------------------------------------------
@pytest.mark.skipif(not BOUNDARIES.is_file(), reason="real data not available")
def test_real_region_weights_cover_every_gemeinde():
    import geopandas as gpd

    g = gpd.read_file(BOUNDARIES)
    g = g[g["ags"].str[:5].isin(["16065", "16068"])].reset_index(drop=True)
    t = ind.import_indicators(BA, g)
    assert len(g) == 65 and len(t.missing) == 61 and t.n_gemeinden == 65
    w = ind.need_weights(t, SGB2, g)  # no file population → falls back to the file column
    assert set(w) == set(g["ags"]) and sum(v != 1.0 for v in w.values()) == 3
    s = ind.choropleth_values(t, SGB2, g)
    assert s.notna().sum() == 3 and s.index.equals(g.index)
    cells = np.repeat(g["ags"].to_numpy(), 3)
    assert ind.cell_weights(cells, w).shape == (195,)


def test_whole_land_table_gives_one_note_for_rows_outside_the_region():
    rows = (
        [["AGS", "Quote"]]
        + [[f"1605{i:04d}", "1"] for i in range(25)]
        + [["16065003", "2,5"], ["16051000", "3"]]
    )
    t = ind.import_indicators(csv_bytes(rows), GEM, filename="thueringen.csv")
    assert t.values.loc["16065003", "Quote"] == 2.5
    outside = [p for p in t.warnings if "außerhalb der Region" in p.message]
    assert len(outside) == 1 and outside[0].message.startswith("26 Zeilen")
    assert "16051" in outside[0].message
