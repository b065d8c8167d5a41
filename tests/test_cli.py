"""The ``nahraum`` command line: JSON outputs and German errors."""

from __future__ import annotations

import json

import pytest

from geo import cli, settings

FIXTURES = settings.REPO_ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cli-cache"))


def _run(capsys, *argv):
    rc = cli.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_services_import_json(capsys, cache):
    src = settings.data_dir() / "th/services/services_kyf_soem.csv"
    rc, out, err = _run(
        capsys, "services", "import", str(src), "--region", "default", "--cache", cache, "--json"
    )
    data = json.loads(out)
    assert rc == 0, err
    assert data["imported"] == 62
    assert sum(data["by_precision"].values()) == 62
    assert data["errors"] == []


def test_services_import_reports_rows(capsys, cache, tmp_path):
    bad = tmp_path / "angebote.csv"
    bad.write_text(
        "id;name;category;town;lat;lon\n"
        "a1;Beratung Nord;Beratung;Sondershausen;;\n"
        "a1;Doppelt;Beratung;Artern;;\n"
        "a3;Vertauscht;Beratung;;11,0;51,3\n",
        encoding="utf-8",
    )
    rc, out, _ = _run(
        capsys, "services", "import", str(bad), "--region", "default", "--cache", cache, "--json"
    )
    data = json.loads(out)
    assert rc == 1
    assert data["imported"] == 1
    rows = {(e["row"], e["column"]) for e in data["errors"]}
    assert (2, "id") in rows
    assert any(e["row"] == 3 and "vertauscht" in e["message"] for e in data["errors"])


def test_analyze_json_has_totals_and_65_gemeinden(capsys, cache):
    rc, out, err = _run(
        capsys,
        "analyze",
        "--region",
        "default",
        "--kind",
        "Jugend",
        "--target",
        "u18",
        "--mode",
        "walk",
        "--threshold",
        "20",
        "--cache",
        cache,
        "--json",
    )
    assert rc == 0, err
    data = json.loads(out)
    assert len(data["gemeinden"]) == 65
    t = data["totals"]
    assert t["people_within"] + t["people_beyond"] == pytest.approx(t["people"], abs=2)
    assert "Luftlinie" in data["model"]
    # A longer threshold never covers fewer people.
    _, out2, _ = _run(
        capsys,
        "analyze",
        "--region",
        "default",
        "--kind",
        "Jugend",
        "--target",
        "u18",
        "--mode",
        "walk",
        "--threshold",
        "40",
        "--cache",
        cache,
        "--json",
    )
    assert json.loads(out2)["totals"]["share_within"] >= t["share_within"]


def test_analyze_unknown_target_is_rejected(capsys):
    with pytest.raises(SystemExit):
        cli.main(["analyze", "--target", "kinder"])


def test_traveltime_od_matrix(capsys, tmp_path):
    a = tmp_path / "von.csv"
    b = tmp_path / "nach.csv"
    a.write_text("id,lat,lon\nA,51.37,10.87\nB,51.16,11.12\n", encoding="utf-8")
    b.write_text("id,lat,lon\nX,51.37,10.87\n", encoding="utf-8")
    out_csv = tmp_path / "od.csv"
    rc, out, err = _run(
        capsys,
        "traveltime",
        "--mode",
        "bike",
        "--from",
        str(a),
        "--to",
        str(b),
        "--out",
        str(out_csv),
        "--json",
    )
    assert rc == 0, err
    data = json.loads(out)
    assert data["matrix"]["A"]["X"] == 0.0
    assert data["matrix"]["B"]["X"] > 60  # about 30 km by bike
    assert out_csv.read_text("utf-8").startswith("von,X")


def test_traveltime_bad_csv_names_row_and_column(capsys, tmp_path):
    a = tmp_path / "von.csv"
    a.write_text("id,lat,lon\nA,51.37,zehn\n", encoding="utf-8")
    rc, _, err = _run(capsys, "traveltime", "--mode", "walk", "--from", str(a), "--to", str(a))
    assert rc == 2
    assert "Zeile 1" in err and "lon" in err and "Traceback" not in err


def test_need_weights_from_indicator_file(capsys, cache):
    f = FIXTURES / "indicators" / "einfach_utf8_testdaten.csv"
    base = [
        "analyze",
        "--region",
        "default",
        "--kind",
        "Familie",
        "--target",
        "single_parent_hh",
        "--mode",
        "bike",
        "--threshold",
        "30",
        "--cache",
        cache,
        "--json",
    ]
    _, plain, _ = _run(capsys, *base)
    rc, weighted, err = _run(capsys, *base, "--need", str(f))
    assert rc == 0
    assert "Hinweis Indikatortabelle" in err  # the fixture's bad rows are listed, good rows used
    w = json.loads(weighted)
    assert "need_weighting" in w["metadata"]
    assert w["totals"]["gap"] != json.loads(plain)["totals"]["gap"]


def test_analyze_and_export_for_a_target_year(capsys, cache, tmp_path):
    """--growth/--year scale the target group; the label names year and source everywhere."""
    base = ["--region", "default", "--kind", "Jugend", "--target", "u18", "--mode", "walk"]
    _, out, _ = _run(capsys, "analyze", *base, "--cache", cache, "--json")
    today = json.loads(out)
    rc, out, err = _run(
        capsys,
        "analyze",
        *base,
        "--growth",
        "u18=0,8",
        "--year",
        "2030",
        "--cache",
        cache,
        "--json",
    )
    assert rc == 0, err
    later = json.loads(out)
    assert later["totals"]["people"] == pytest.approx(0.8 * today["totals"]["people"], rel=1e-6)
    assert later["totals"]["gap"] == pytest.approx(0.8 * today["totals"]["gap"], rel=1e-3)
    assert later["demand"]["year"] == 2030
    assert later["demand"]["labels"] == ["Prognose 2030 (Quelle: eigene Faktoren)"]
    xlsx = tmp_path / "tabelle_2030.xlsx"
    rc, _, err = _run(
        capsys,
        "export",
        *base,
        "--growth",
        "u18=0,8",
        "--year",
        "2030",
        "--out",
        str(xlsx),
        "--cache",
        cache,
    )
    assert rc == 0, err
    import openpyxl

    rows = [r for ws in openpyxl.load_workbook(xlsx) for r in ws.iter_rows(values_only=True)]
    basis = [r for r in rows if r and r[0] == "Bedarfsgrundlage"]
    assert basis and basis[0][1] == "Prognose 2030 (Quelle: eigene Faktoren)"
    rc, _, err = _run(capsys, "analyze", *base, "--year", "2030", "--cache", cache)
    assert rc == 2 and "--year braucht eine Prognose" in err
