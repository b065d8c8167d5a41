"""Profiles (geo/profile.py, report/profile.py): 65-page PDF text, XLSX, PNG page, CLI."""

from __future__ import annotations

import pypdf
import pytest
from openpyxl import load_workbook

from geo import analysis, cli, planning, profile, standards
from present import standards as pstd
from report import profile as rp


@pytest.fixture(scope="module")
def data(tmp_default_region):
    return profile.build(tmp_default_region, analysis.AnalysisParams(), standards.read_standards())


def test_figures_per_unit_match_the_region(data, tmp_default_region):
    gem = tmp_default_region.gemeinden
    assert [u.key for u in data.units] == list(gem["ags"].astype(str))
    pops = dict(zip(gem["ags"].astype(str), gem["pop"], strict=True))
    for key, row in data.population.iterrows():
        assert row["pop"] == pytest.approx(pops[key], abs=0.5)
    assert set(data.travel["mode"]) >= {"walk", "bike", "car"}
    clingen = data.unit("16065012")
    assert list(data.check_of(clingen)["rule"]) == ["KYF-Jugendclub", "Suchtberatung-VZÄ"]


def test_pdf_every_page_names_its_gemeinde_and_sources(data, tmp_path):
    path = rp.write_pdf(data, tmp_path / "steckbriefe.pdf")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 66  # contents + 65 profiles
    toc = reader.pages[0].extract_text()
    assert "Inhalt" in toc and "Sondershausen" in toc
    for unit, page in zip(data.units, reader.pages[1:], strict=True):
        text = " ".join(page.extract_text().split())
        assert f"Steckbrief {unit.name}" in text
        assert "Quellen" in text and "Zensus 2022" in text and "Richtwerte" in text
    clingen = " ".join(
        reader.pages[1 + [u.key for u in data.units].index("16065012")].extract_text().split()
    )
    assert "KYF-Jugendclub" in clingen and "fehlt" in clingen


def test_reason_sentence_hand_checked(data):
    row = data.check_of(data.unit("16065012")).iloc[0].to_dict()
    row["types"] = standards.read_standards().rule("KYF-Jugendclub").types
    assert pstd.reason(row, "de") == (
        "1.037 Einwohner:innen, Größenklasse über 650 bis 3.000 Einwohner:innen: Soll 1 "
        "Jugendclub, vorhanden 0. Die Angebotsliste enthält kein passendes Angebot."
    )
    assert pstd.reason(row, "en").startswith("1,037 inhabitants, size class over 650 up to 3,000")


def test_xlsx_and_png(data, tmp_path):
    wb = load_workbook(rp.write_xlsx(data, tmp_path / "s.xlsx"))
    assert wb.sheetnames == ["Steckbriefe", "Richtwerte", "Angebote", "Erläuterung"]
    assert wb["Steckbriefe"].max_row == 66
    png = rp.render_page(data, "16065067", tmp_path / "sdh.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_planning_region_profiles(tmp_default_region, tmp_path):
    from geo import settings

    plan = planning.read_planning(
        settings.REPO_ROOT / "data/planning/kyf_lsz_regionen.csv",
        tmp_default_region,
        allow_incomplete=True,
    )
    d = profile.build(
        tmp_default_region, analysis.AnalysisParams(), standards.read_standards(), planning=plan
    )
    assert [u.key for u in d.units] == plan.names
    reader = pypdf.PdfReader(rp.write_pdf(d, tmp_path / "p.pdf"))
    assert len(reader.pages) == len(plan.names) + 1
    assert "Steckbrief Sondershausen und Umgebung" in " ".join(
        reader.pages[1 + plan.names.index("Sondershausen und Umgebung")].extract_text().split()
    )


def test_cli_profile_png_needs_page(capsys, tmp_path, tmp_default_region):
    cache = str(tmp_default_region.cache_path.parent)
    rc = cli.main(
        ["profile", "--region", "default", "--cache", cache, "--out", str(tmp_path / "x.png")]
    )
    assert rc == 2 and "--page" in capsys.readouterr().err
    rc = cli.main(
        ["profile", "--region", "default", "--cache", cache, "--out", str(tmp_path / "x.xlsx")]
    )
    assert rc == 0 and (tmp_path / "x.xlsx").exists()
