"""Offline geocoding (issue 17): the address reference the council imports once, and the
geocoder that turns addresses into points with their match level.

``reference`` reads the MLIT 位置参照情報 (街区レベル and 大字・町丁目レベル, CP932 CSV, as
downloaded or zipped) into the ``address_points`` table; ``geocoder`` looks addresses up in
it after :func:`lsmap.addresses.normalise_address`. No address ever leaves the machine.
"""
