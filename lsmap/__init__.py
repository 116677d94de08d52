"""lsmap: the 支え合い福祉マップ of a council of social welfare, on a map and in records."""

__version__ = "0.1.0"
