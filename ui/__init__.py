"""Streamlit page parts of ``app.py`` (widgets, session state, cached ``geo`` calls).

``state`` caches the ``geo``/``layers`` calls and holds the shared session-state helpers;
``sidebar``, ``results``, ``workshop``, ``scenarios`` and ``suggestions`` draw the page's
sections; ``style`` holds the page CSS. No analysis happens here.
"""
