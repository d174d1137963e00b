"""Extra ``cos-bot`` sub-commands that live in the core (the scheduler adds its own here)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["register", "REGISTRARS"]

# Each registrar adds sub-parsers; a sub-parser sets ``handler=fn(settings, args) -> int``.
REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    import importlib

    for name in ("bot.scheduler.cli",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name not in (name, name.rsplit(".", 1)[0]):
                raise
    for registrar in REGISTRARS:
        registrar(sub)
