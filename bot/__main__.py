"""`python -m bot` is `marketplace-monitor`."""

import sys

from bot.cli import main

sys.exit(main())
