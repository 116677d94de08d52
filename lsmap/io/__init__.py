"""Data in and out: imports, exports, encrypted backups and the sample town loader."""
