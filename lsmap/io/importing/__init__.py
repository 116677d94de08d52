"""Bringing outside data into lsmap: district boundaries and lists (issue 6).

Reading (``readers``), cleaning (``normalise``), column mapping (``columns``), checking
(``districts``, ``lists``) and writing (``apply``) are separate modules; nothing here
touches Streamlit, so the command line, the admin page and the tests share one path.

Files from outside are untrusted (issue 10): they are parsed in a limited child process
(``sandbox`` runs ``worker``), zips and workbooks are checked before anything is expanded
(``archives``), and boundary files reach GDAL only as the one format their name and content
agree on (``boundary_files``).
"""
