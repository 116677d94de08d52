"""Allow ``python -m lsmap``."""

from lsmap.cli.main import main

raise SystemExit(main())
