"""The ``lsmap`` command line."""
