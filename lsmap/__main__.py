"""Allow ``python -m lsmap``."""

from lsmap.cli import main

raise SystemExit(main())
