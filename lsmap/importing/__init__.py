"""Bringing outside data into lsmap: district boundaries and lists (issue 6).

Reading (``readers``), cleaning (``normalise``), column mapping (``columns``), checking
(``districts``, ``lists``) and writing (``apply``) are separate modules; nothing here
touches Streamlit, so the command line, the admin page and the tests share one path.
"""
