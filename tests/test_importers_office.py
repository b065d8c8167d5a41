"""Service lists as German offices make them (issue 15, item 2).

Each file is built in the test like the real thing: an XLSX with title rows, merged
title and header cells, a sum row and no id column; Excel's "Unicode-Text" (UTF-16 LE
with BOM, tab-separated, CRLF); workbooks and GeoPackages with several sheets/layers;
NUL and control characters; over-long names. Every skipped or repaired row must be
named in the report, and no message may show an internal exception name.
"""

from __future__ import annotations

import io
import json
import re
import string

import geopandas as gpd
import openpyxl
import pytest
import shapely
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo import _tables, geocode, services, settings
from geo._errors import InputError
from tests.test_geocode import BOUNDARIES, DATA, build_region
from tests.test_services import imp

pytestmark = pytest.mark.skipif(not BOUNDARIES.is_file(), reason="real data not available")
HYP = hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def region():
    gemeinden, outline = build_region()
    return gemeinden, outline, geocode.load_places(DATA), geocode.load_postcodes(DATA)


EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b|Traceback")

#: An office list: Einrichtung, Träger, Anschrift, "PLZ Ort" in one column, no id.
HEADER = ["Einrichtung", "Träger", "Anschrift", "PLZ Ort", "Angebotsart"]
ROWS = [
    [
        "Familienzentrum Sondershausen",
        "Düne e.V.",
        "Crucisstraße 8",
        "99706 Sondershausen",
        "Familienzentrum",
    ],
    ["Jugendclub Artern", "Stadt Artern", "Markt 1", "06556 Artern", "Jugendclub"],
    [
        "Schuldnerberatung Sömmerda",
        "Diakonie",
        "Weißenseer Str. 2",
        "99610 Sömmerda",
        "Schuldnerberatung",
    ],
]


def office_xlsx(
    *,
    merged_header: bool = True,
    extra_sheet: list[list] | None = None,
    sheet_name: str = "Angebote 2025",
) -> bytes:
    """Title rows with a merged title, a two-row header with merged cells, a blank row,
    data, a sum row – as exported from a Landratsamt's spreadsheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_name
    ws.append(["Angebotsübersicht Kyffhäuserkreis"])
    ws.merge_cells("A1:E1")
    ws.append(["Stand: 01.03.2025, Fachdienst Sozialplanung"])
    ws.append([])
    if merged_header:
        # Row 4: group labels; row 5: the real header. "Einrichtung"/"Träger" span rows 4–5,
        # "Adresse" spans D4:E4 above "Anschrift" and "PLZ Ort"; "Angebotsart" spans E4:E5.
        ws.append(["Einrichtung", "Träger", "Adresse", None, "Angebotsart"])
        ws.append([None, None, "Anschrift", "PLZ Ort", None])
        for rng in ("A4:A5", "B4:B5", "C4:D4", "E4:E5"):
            ws.merge_cells(rng)
    else:
        ws.append(HEADER)
    ws.append(ROWS[0])
    ws.append([])
    ws.append(ROWS[1])
    ws.append(ROWS[2])
    ws.append(["Summe", None, None, None, "3 Angebote"])
    if extra_sheet is not None:
        ws2 = wb.create_sheet("Kreis Sömmerda")
        for row in extra_sheet:
            ws2.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def unicode_text(rows: list[list[str]]) -> bytes:
    """Excel's "Unicode-Text": UTF-16 LE with BOM, tab-separated, CRLF."""
    return "\r\n".join("\t".join(r) for r in rows).encode("utf-16")


def notes_of(res: services.ImportResult) -> list[tuple[int | None, str]]:
    return [(p.row, p.message) for p in res.notes]


# ---------------------------------------------------------------------------
# XLSX like the real thing
# ---------------------------------------------------------------------------
def test_office_xlsx_title_rows_merged_header_sum_row_no_id(region):
    res = imp(region, office_xlsx(), "angebote.xlsx")
    sv = res.services
    assert res.problems == []
    assert list(sv["name"]) == [r[0] for r in ROWS]
    assert list(sv["provider"]) == [r[1] for r in ROWS]
    assert list(sv["street"]) == [r[2] for r in ROWS]
    assert list(sv["postcode"]) == ["99706", "06556", "99610"]
    assert list(sv["town"]) == ["Sondershausen", "Artern", "Sömmerda"]
    assert list(sv["category"]) == ["Familie", "Jugend", "Beratung"]
    # Generated ids: stable short hashes, unique.
    assert all(re.fullmatch(r"a-[0-9a-f]{8}", i) for i in sv["id"])
    assert sv["id"].is_unique
    assert sv["id"].iloc[0] == services.service_id(
        *ROWS[0][:1], ROWS[0][2], "99706", "Sondershausen"
    )
    # Header found in sheet row 5 (the row below the group labels); data rows count from there.
    text = " ".join(m for _, m in notes_of(res))
    assert "Kopfzeile in Zeile 5" in text and "4 Titelzeile(n)" in text
    assert "keine Kennungsspalte" in text
    assert (None, "Leere Zeile(n) übersprungen: 2.") in notes_of(res)
    assert any(r == 5 and "Summenzeile („Summe“)" in m for r, m in notes_of(res))
    assert any("PLZ Ort" in m for _, m in notes_of(res))
    assert list(sv.index) == [1, 3, 4]
    report = res.report()
    assert {"Hinweis"} <= set(report["Art"]) and 5 in set(report["Zeile"].dropna())


def test_merged_cells_are_unmerged():
    rows = [["Titel", "", ""], ["a", "", "c"], ["", "", ""]]
    n = _tables._unmerge(rows, [(1, 1, 1, 3), (2, 1, 3, 1)])
    assert n == 2
    assert rows == [["Titel", "Titel", "Titel"], ["a", "", "c"], ["a", "", ""]]


def test_plain_xlsx_without_id_column_is_accepted(region):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (
        ["Name", "Träger", "Straße", "PLZ", "Ort", "Kategorie"],
        ["Seniorenbüro", "Stadt", "Markt 3", "99706", "Sondershausen", "Senioren"],
        ["Jugendhaus", "Verein", "Lange Str. 1", "6556", "Artern", "Jugend"],
    ):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    res = imp(region, buf.getvalue(), "liste.xlsx")
    assert res.problems == [] and len(res.services) == 2
    assert list(res.services["postcode"]) == ["99706", "06556"]
    assert res.services["id"].str.startswith("a-").all()


def test_generated_ids_stable_across_reimport(region):
    first = imp(region, office_xlsx(), "a.xlsx").services
    # The same services with other spelling, blanks and order, in another format.
    rows = [[r[0].upper(), r[1], r[2].replace(" ", "  "), r[3], r[4]] for r in ROWS[::-1]]
    second = imp(region, unicode_text([HEADER, *rows]), "b.txt").services
    a = dict(zip(first["name"].str.upper(), first["id"], strict=True))
    b = dict(zip(second["name"], second["id"], strict=True))
    assert a == b
    # Two identical rows get distinct ids; a changed address gives another id.
    assert services.service_id("X", "Markt 1", "", "A") != services.service_id(
        "X", "Markt 2", "", "A"
    )
    dup = imp(region, unicode_text([HEADER, ROWS[0], ROWS[0]]), "d.txt").services
    assert dup["id"].iloc[1] == dup["id"].iloc[0] + "-2"


def test_missing_single_ids_are_generated_with_a_note(region):
    rows = [
        ["Nr", "Name", "Ort", "Kategorie"],
        ["7", "A", "Artern", "Jugend"],
        ["", "B", "Artern", "Jugend"],
    ]
    res = imp(region, unicode_text(rows), "x.txt")
    assert res.problems == []
    assert res.services["id"].iloc[0] == "7" and res.services["id"].iloc[1].startswith("a-")
    assert any(p.row == 2 and p.column == "id" and "erzeugt" in p.message for p in res.notes)


# ---------------------------------------------------------------------------
# UTF-16 "Unicode-Text", tab-separated, with title lines
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_text_from_excel(region, encoding):
    lines = [["Angebote Stand März 2025"], [""], HEADER, *ROWS]
    data = "\r\n".join("\t".join(r) for r in lines).encode(encoding)
    res = imp(region, data, "angebote.txt")
    assert res.problems == []
    assert list(res.services["town"]) == ["Sondershausen", "Artern", "Sömmerda"]
    assert list(res.services["provider"]) == ["Düne e.V.", "Stadt Artern", "Diakonie"]
    assert any("Kopfzeile in Zeile 3" in p.message for p in res.notes)


def test_utf16_is_not_called_binary():
    data = "id\tname\tOrt\tKategorie\r\n1\tA\tArtern\tJugend\r\n".encode("utf-16")
    df = services.read_services(data, "x.csv")
    assert df["town"].tolist() == ["Artern"]


# ---------------------------------------------------------------------------
# Control characters, long names, full addresses
# ---------------------------------------------------------------------------
def test_nul_and_control_characters_stripped_with_note(region):
    rows = [
        HEADER,
        [ROWS[0][0] + "\x00", ROWS[0][1], "Crucis\x07straße 8", ROWS[0][3], "Kita"],
        ROWS[1],
    ]
    res = imp(region, unicode_text(rows), "x.txt")
    assert res.problems == []
    assert res.services["name"].iloc[0] == ROWS[0][0]
    assert res.services["street"].iloc[0] == "Crucisstraße 8"
    [note] = [p for p in res.notes if "Steuerzeichen" in p.message]
    assert note.row == 1 and "„name“" in note.message and "„street“" in note.message


def test_long_names_are_cut_with_note(region):
    long = "Beratungsstelle " * 30
    res = imp(region, unicode_text([HEADER, [long, *ROWS[0][1:]]]), "x.txt")
    name = res.services["name"].iloc[0]
    assert len(name) == settings.MAX_NAME_CHARS and name.endswith("…")
    assert any(p.row == 1 and p.column == "name" and "gekürzt" in p.message for p in res.notes)


def test_full_address_in_one_cell_is_split(region):
    rows = [
        ["Name", "Anschrift", "Kategorie"],
        ["Jugendclub", "Markt 1, 06556 Artern", "Jugend"],
        ["Seniorenbüro", "Markt 3\n99706 Sondershausen", "Senioren"],
    ]
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(buf)
    res = imp(region, buf.getvalue(), "x.xlsx")
    sv = res.services
    assert list(sv["street"]) == ["Markt 1", "Markt 3"]
    assert list(sv["postcode"]) == ["06556", "99706"]
    assert list(sv["town"]) == ["Artern", "Sondershausen"]
    assert sorted(p.row for p in res.notes if "aufgeteilt" in p.message and p.row) == [1, 2]


@pytest.mark.parametrize(
    ("cells", "total"),
    [
        (["Summe", "", "12"], True),
        (["", "Gesamt:", "3"], True),
        (["Insgesamt 58"], True),
        (["Gesamtschule Artern", "x"], False),
        (["Gesamt-Angebot"], False),
        (["Familienzentrum"], False),
    ],
)
def test_total_rows(cells, total):
    assert _tables.is_total_row(cells) is total


# ---------------------------------------------------------------------------
# Several sheets / layers: never silently only the first
# ---------------------------------------------------------------------------
def test_workbook_with_two_service_sheets_asks(region):
    data = office_xlsx(merged_header=False, extra_sheet=[HEADER, ROWS[2]])
    with pytest.raises(InputError) as err:
        imp(region, data, "zwei.xlsx")
    msg = str(err.value)
    assert "„Angebote 2025“" in msg and "„Kreis Sömmerda“" in msg and "--layer" in msg
    res = services.import_services(
        data,
        *region[:2],
        filename="zwei.xlsx",
        places=region[2],
        postcodes=region[3],
        layer="Kreis Sömmerda",
    )
    assert list(res.services["name"]) == [ROWS[2][0]] and res.layer == "Kreis Sömmerda"
    res = services.import_services(
        data, *region[:2], filename="zwei.xlsx", places=region[2], postcodes=region[3], layer="1"
    )
    assert len(res.services) == 3
    with pytest.raises(InputError, match="nicht gefunden; vorhanden"):
        services.read_services(data, "zwei.xlsx", layer="Kreis Erfurt")
    assert _tables.list_layers(data, "zwei.xlsx") == [("Angebote 2025", 7), ("Kreis Sömmerda", 2)]


def test_workbook_with_a_notes_sheet_reads_the_table_with_a_note(region):
    data = office_xlsx(extra_sheet=[["Hinweise zur Liste"], ["Bitte jährlich prüfen."]])
    res = imp(region, data, "mit_hinweisen.xlsx")
    assert len(res.services) == 3
    assert any("„Kreis Sömmerda“" in p.message and "nicht gelesen" in p.message for p in res.notes)


def test_geopackage_with_two_layers(region, tmp_path):
    path = tmp_path / "two.gpkg"
    for layer, (name, lon) in {
        "jugend": ("Jugendclub", 11.29),
        "familie": ("Familienzentrum", 10.87),
    }.items():
        gdf = gpd.GeoDataFrame(
            {"name": [name], "kategorie": [layer.title()]},
            geometry=[shapely.Point(lon, 51.36)],
            crs=4326,
        )
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    data = path.read_bytes()
    with pytest.raises(
        InputError, match="mehrere Ebenen.*„jugend“.*„familie“|mehrere Ebenen.*„familie“.*„jugend“"
    ) as err:
        imp(region, data, "two.gpkg")
    assert "--layer" in str(err.value)
    res = services.import_services(
        data,
        *region[:2],
        filename="two.gpkg",
        places=region[2],
        postcodes=region[3],
        layer="familie",
    )
    assert list(res.services["name"]) == ["Familienzentrum"]
    assert sorted(_tables.list_layers(data, "two.gpkg")) == [("familie", 1), ("jugend", 1)]


# ---------------------------------------------------------------------------
# Messages: never an internal exception name
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"PK\x03\x04garbage", "x.xlsx"),
        (b"SQLite format 3\x00garbage", "x.gpkg"),
        (b"{not json", "x.geojson"),
        (b'{"a": [' * 2000, "x.geojson"),
        (b'id,name\n"unterminated\n' + b"x" * 200_000, "x.csv"),
        ("id;name\n1;A\n".encode("utf-32"), "x.csv"),
    ],
)
def test_no_exception_names_in_messages(data, name):
    with pytest.raises(InputError) as err:
        services.read_services(data, name)
    assert not EXCEPTION_NAME.search(str(err.value)), str(err.value)


@HYP
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".xlsx", ".gpkg", ".geojson", ".txt"]),
)
def test_random_files_give_german_messages_without_exception_names(data, suffix):
    try:
        services.read_services(data, "x" + suffix)
    except InputError as exc:
        assert not EXCEPTION_NAME.search(str(exc)), str(exc)


# ---------------------------------------------------------------------------
# Property: a header under up to 5 title rows is found
# ---------------------------------------------------------------------------
WORDS = st.text(alphabet=string.ascii_letters + "äöüÄÖÜß .:-0123456789", min_size=0, max_size=30)
TITLE = st.lists(WORDS, min_size=0, max_size=4).filter(
    lambda r: services.header_score(r) < _tables.MIN_HEADER_SCORE
)


@HYP
@given(
    titles=st.lists(TITLE, min_size=0, max_size=5), fmt=st.sampled_from(["xlsx", "csv", "utf16"])
)
def test_header_under_title_rows_is_found(titles, fmt):
    rows = [*titles, HEADER, *ROWS]
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append([c or None for c in r])
        buf = io.BytesIO()
        wb.save(buf)
        data, name = buf.getvalue(), "t.xlsx"
    else:
        text = "\r\n".join(";".join(f'"{c}"' if c else "" for c in r) for r in rows)
        data = text.encode("utf-16" if fmt == "utf16" else "utf-8")
        name = "t.csv"
    df = services.read_services(data, name)
    assert list(df["name"]) == [r[0] for r in ROWS]
    assert list(df["town"]) == [r[3].split(" ", 1)[1] for r in ROWS]
    assert list(df.index) == [1, 2, 3]


def test_cli_import_with_layer(tmp_path, capsys):
    from geo import cli

    path = tmp_path / "zwei.xlsx"
    path.write_bytes(office_xlsx(merged_header=False, extra_sheet=[HEADER, ROWS[2]]))
    assert cli.main(["services", "import", str(path)]) == 2
    assert "--layer" in capsys.readouterr().err
    assert cli.main(["services", "import", str(path), "--layer", "Kreis Sömmerda", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["imported"] == 1 and summary["layer"] == "Kreis Sömmerda"
