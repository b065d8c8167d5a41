"""Page CSS: the planning page and the workshop (projector) view."""

from __future__ import annotations

import json

from geo import settings
from present import i18n

PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.6rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 1.6rem; }
/* The map fills the window below the key figures (projector and laptop alike). */
iframe[title="streamlit_folium.st_folium"] { height: max(430px, calc(100vh - 262px)) !important; }
/* Narrow windows: the selection panel moves below the map. */
@media (max-width: 1450px) {
  [data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"]) {
    flex-wrap: wrap; }
  [data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
    > [data-testid="stColumn"] { flex: 1 1 100% !important; width: 100% !important;
    min-width: 100% !important; }
}
.nahraum-worst { font-size: 0.9rem; line-height: 1.3; }
.nahraum-worst ol { margin: 0.1rem 0 0 1.1rem; padding: 0; }
.nahraum-worst .label { font-size: 0.875rem; color: rgb(49, 51, 63); }
.nahraum-panel h4 { margin: 0 0 0.4rem 0; padding: 0; font-size: 1.15rem; }
.nahraum-panel table { border-collapse: collapse; font-size: 0.9rem; width: 100%; }
.nahraum-panel th { text-align: left; font-weight: 600; color: #555; padding: 2px 8px 2px 0;
  vertical-align: top; }
.nahraum-panel td { padding: 2px 0; }
.nahraum-panel .kind { color: #555; font-size: 0.8rem; text-transform: uppercase;
  letter-spacing: 0.04em; margin-top: 0.6rem; }
.nahraum-headline { font-size: 0.95rem; line-height: 1.3; margin: -0.3rem 0 0.4rem 0; }
</style>"""
# Workshop view: projector at 1280×720 – map fills the screen, text ≥ 24 px, no chrome.
WORKSHOP_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
footer, [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.4rem 0.8rem 0 0.8rem !important;
  max-width: 100% !important; }
[data-testid="stMain"] p, [data-testid="stMain"] label, [data-testid="stMain"] button,
[data-testid="stMain"] input, [data-testid="stMain"] textarea,
[data-testid="stMain"] [data-baseweb="select"], [data-testid="stMain"] li,
[data-testid="stMain"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stMetricLabel"] p,
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 24px !important;
  line-height: 1.25 !important; }
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 {
  font-size: 30px !important; padding: 0 !important; margin: 0 !important; }
[data-testid="stMetricValue"] { font-size: 48px !important; font-weight: 700; color: #000; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { color: #111 !important; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderTickBar"] { font-size: 22px !important; }
iframe[title="streamlit_folium.st_folium"] { height: calc(100vh - 70px) !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"]) {
  flex-wrap: nowrap !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
  > [data-testid="stColumn"]:first-child { flex: 0 0 69% !important; width: 69% !important;
  min-width: 0 !important; }
[data-testid="stHorizontalBlock"]:has(iframe[title="streamlit_folium.st_folium"])
  > [data-testid="stColumn"]:last-child { flex: 1 1 31% !important; width: 31% !important;
  min-width: 0 !important; max-height: calc(100vh - 70px); overflow-y: auto; }
.nahraum-headline { font-size: 24px !important; }
[data-testid="stMain"] [data-testid="stBaseButton-secondary"] { padding: 0.2rem 0.45rem; }
[data-testid="stMain"] [data-testid="stMetric"] { padding: 0; }
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] div,
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 44px !important;
  line-height: 1.1 !important; font-weight: 700; }
</style>"""


def uploader_css(lang: str) -> str:
    """File uploaders in the UI language: Streamlit writes "Upload" and "… per file" itself.

    The built-in texts are hidden (font size 0) and replaced by the catalog's words; the
    accepted file types stay in each uploader's own label.
    """
    mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
    button = json.dumps(i18n.t("upload_button", lang), ensure_ascii=False)
    limit = json.dumps(i18n.t("upload_limit", lang, mb=mb), ensure_ascii=False)
    return f"""<style>
[data-testid="stFileUploaderDropzone"] button {{ font-size: 0 !important; }}
[data-testid="stFileUploaderDropzone"] button::after {{ content: {button};
  font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] button * {{ display: none !important; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div > * {{ display: none !important; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: {limit};
  font-size: 0.8rem; color: rgba(49, 51, 63, 0.6); }}
</style>"""
