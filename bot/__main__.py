"""``python -m bot``: the same as the ``paichan`` command."""

import sys

from bot.cli import main

sys.exit(main())
