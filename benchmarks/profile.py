"""Profile PDF (Steckbriefe) for the default region: all 65 Gemeinden in one PDF.

Target: the 65 profiles plus the table of contents in under 60 s (``nahraum profile
--region default --out FILE.pdf`` without the region load). Measured separately: the
figures of all profiles (``geo.profile.build``: one analysis per mode, the standards
check), the PDF (``report.profile.write_pdf``), and the XLSX of the same figures.

Baseline ``per_page``: a fresh figure with the region base drawn again for every page
(what the one-base design avoids), timed for 10 pages and scaled to 65.

Run: ``.venv/bin/python benchmarks/profile.py``; files go to benchmarks/out/. Ends with
one ``key=value`` summary line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages

from geo import analysis, profile, region, standards
from report import profile as rp

OUT = Path(__file__).resolve().parent / "out"
BASELINE_PAGES = 10


def per_page_baseline(data: profile.Profiles, path: Path) -> float:
    """Seconds for BASELINE_PAGES pages with the base redrawn on a new figure per page."""
    footer = rp.source_lines(data, "de")
    t = time.perf_counter()
    with matplotlib.rc_context(rp.RC), PdfPages(path) as pdf:
        for i, unit in enumerate(data.units[:BASELINE_PAGES]):
            fig = rp.new_figure(data)
            page = rp.Page(fig, "de")
            base = rp.draw_base(page, data)
            rp.draw_page(page, base, data, unit, i + 1, len(data.units), footer)
            pdf.savefig(fig)
    return (time.perf_counter() - t) / BASELINE_PAGES


def main() -> int:
    OUT.mkdir(exist_ok=True)
    t = time.perf_counter()
    reg = region.load_region("default")
    t_load = time.perf_counter() - t
    std = standards.read_standards()
    t = time.perf_counter()
    data = profile.build(reg, analysis.AnalysisParams(), std)
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    pdf = rp.write_pdf(data, OUT / "steckbriefe.pdf")
    t_pdf = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = rp.write_xlsx(data, OUT / "steckbriefe.xlsx")
    t_xlsx = time.perf_counter() - t
    import pypdf

    pages = len(pypdf.PdfReader(pdf).pages)
    base_per_page = per_page_baseline(data, OUT / "steckbriefe_baseline.pdf")
    total = t_build + t_pdf
    profiles = len(data.units)
    print(f"Region default: {profiles} Gemeinden (Laden {t_load:.1f} s, nicht mitgemessen)")
    print(f"Kennzahlen aller Steckbriefe (build)   {t_build:6.2f} s")
    print(
        f"PDF {pages} Seiten                        {t_pdf:6.2f} s   "
        f"({t_pdf / pages:.2f} s je Seite, {pdf.stat().st_size / 1e6:.1f} MB)"
    )
    print(f"XLSX                                   {t_xlsx:6.2f} s")
    print(
        f"Zusammen (build + PDF)                 {total:6.2f} s   Ziel < 60 s: "
        f"{'ok' if total < 60 else 'VERFEHLT'}"
    )
    print(
        f"Baseline: Grundkarte je Seite neu      {base_per_page:6.2f} s je Seite "
        f"(≈ {base_per_page * profiles:.0f} s für {profiles} Seiten)"
    )
    print(
        f"pages={pages} profiles={profiles} seconds={total:.2f} "
        f"seconds_per_page={t_pdf / pages:.3f} build_seconds={t_build:.2f} "
        f"xlsx_seconds={t_xlsx:.2f} mb={pdf.stat().st_size / 1e6:.1f} "
        f"baseline_seconds_per_page={base_per_page:.3f} xlsx={xlsx.name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
