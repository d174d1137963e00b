"""``python -m bot.cli``: the ``cos-bot`` command."""

from bot.cli import main

raise SystemExit(main())
