"""Presentation between ``geo`` and its views: texts, number formats, classes, tables.

- :mod:`present.i18n` – gettext catalogs (German, English, plural forms), labels of codes.
- :mod:`present.numbers` – numbers, percent, suppressed counts, minutes, dates (Babel).
- :mod:`present.classes` – the one class-break and legend function of every map and table.
- :mod:`present.tables` – labelled tables per Gemeinde with "<3" suppression.
- :mod:`present.describe` – travel-time model and source descriptions.

``present`` imports ``geo`` (never the other way round) and never imports Streamlit,
folium or the ``layers``/``report``/``ui`` packages.
"""
