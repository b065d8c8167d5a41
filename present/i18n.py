"""User-interface texts in German (first) and English: gettext catalogs read with Babel.

Every visible word of the app, the maps, the report figure and the tables comes from
``present/locale/<lang>/LC_MESSAGES/nahraum.po``. The ``msgid`` is the key used in the
code, the ``msgstr`` a ``str.format`` template. The catalogs are read once at import
(``babel.messages.pofile.read_po``, no compile step); English falls back to German, a
key missing in both is shown as itself (so a missing text is noticed, and a test
checks that both catalogs have the same keys).

Labels of codes defined in ``geo.settings`` (modes, target groups, measures,
categories, life phases, precisions, units) are looked up generically as
``<kind>.<code>`` (e.g. ``target.u18``): a new code needs only two catalog entries.

>>> t("threshold", "en")
'Threshold (minutes)'
>>> tn("kf_services", 1, "de")
'1 Angebot ausgewählt'
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from geo import settings

from .numbers import number

LANGS: tuple[str, ...] = ("de", "en")
DEFAULT_LANG = "de"
LANG_NAMES = {"de": "Deutsch", "en": "English"}
DOMAIN = "nahraum"
LOCALE_DIR = Path(__file__).with_name("locale")
#: Kinds of settings codes with a catalog label ``<kind>.<code>``.
LABEL_KINDS: tuple[str, ...] = (
    "mode",
    "target",
    "measure",
    "category",
    "phase",
    "precision",
    "table",
)


def po_path(lang: str) -> Path:
    """The catalog file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> gettext.GNUTranslations:
    """The gettext translations of ``lang`` (read from the ``.po`` file once)."""
    with po_path(lang).open("rb") as fh:
        po = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    if lang != DEFAULT_LANG:
        translations.add_fallback(catalog(DEFAULT_LANG))
    return translations


def keys(lang: str) -> set[str]:
    """Every key (``msgid``) of the catalog of ``lang`` (plural entries by their singular)."""
    with po_path(lang).open("rb") as fh:
        po = read_po(fh, locale=lang, domain=DOMAIN)
    return {str(m.id[0]) if isinstance(m.id, (tuple, list)) else str(m.id) for m in po if m.id}


def lang_of(lang: str | None) -> str:
    """A supported language code (unknown → German)."""
    return lang if lang in LANGS else DEFAULT_LANG


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    """Whether the catalog of ``lang`` (or the German one) has ``key``."""
    return catalog(lang_of(lang)).gettext(key) != key


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key : str
        ``msgid`` of the catalogs.
    lang : {"de", "en"}
    **values
        Placeholders of the template.

    Returns
    -------
    str
        Unknown keys return the key itself (visible, so a missing string is noticed).
    """
    template = catalog(lang_of(lang)).gettext(key)
    return template.format(**values) if values else template


def tn(key: str, n: float, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The singular or plural form of ``key`` for ``n`` (``{n}`` is the formatted number)."""
    count = int(n) if float(n).is_integer() else 2  # 1,5 Angebote: plural
    template = catalog(lang_of(lang)).ngettext(key, key, count)
    return template.format(n=number(n, None, lang), **values)


def label(kind: str, code: Any, lang: str = DEFAULT_LANG, default: str | None = None) -> str:
    """Catalog label ``<kind>.<code>`` of a settings code; ``default`` (or the code) if absent."""
    key = f"{kind}.{code}"
    text = catalog(lang_of(lang)).gettext(key)
    if text != key:
        return text
    return str(code) if default is None else default


def mode_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a travel mode (``settings.MODES``)."""
    return label("mode", code, lang)


def target_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a target group (``settings.TARGET_GROUPS``)."""
    return label("target", code, lang)


def quality_note(code: str, lang: str = DEFAULT_LANG) -> str:
    """Data-quality note of a target group (``quality.<code>``; empty when there is none)."""
    return label("quality", code, lang, default="")


def phase_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a life phase (``settings.LIFE_PHASES``)."""
    return label("phase", code, lang)


def measure_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a map measure (``settings.MEASURES`` or ``"people"``)."""
    if code == "people":
        return t("people_measure", lang)
    return label("measure", code, lang)


def category_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a service category; unknown codes are returned as they are."""
    if not code:
        return t("sp_no_category", lang)
    return label("category", code, lang)


def precision_label(code: str | None, lang: str = DEFAULT_LANG) -> str:
    """Label of a geocoding precision (``settings.PRECISIONS``)."""
    if code in settings.PRECISIONS:
        return label("precision", code, lang)
    return t("unknown", lang)


def _households(target: str) -> bool:
    group = settings.TARGET_GROUPS.get(target)
    return group is not None and group.unit_de == "Haushalte"


def unit_label(target: str, lang: str = DEFAULT_LANG) -> str:
    """Counting unit of a target group: people or households (``unit_de`` in settings)."""
    return t("households_unit" if _households(target) else "people_unit", lang)


def unit_one(target: str, lang: str = DEFAULT_LANG) -> str:
    """One of the counting unit: person or household."""
    return t("households_one" if _households(target) else "people_one", lang)


def unit_minutes(target: str, lang: str = DEFAULT_LANG) -> str:
    """Unit of the gap score: people-minutes or household-minutes."""
    return t("households_minutes" if _households(target) else "people_minutes", lang)
