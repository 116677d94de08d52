"""Data in and out: imports (background map layers too), exports, encrypted backups, local
background tiles and the sample town loader."""
