"""Platforms are plugins, found through the ``cos_bot.platforms`` entry point group.

The core never imports an adapter: each adapter package exposes a
``Platform`` object, and ``pyproject.toml`` names it. This keeps ``bot/``
free of platform SDKs and lets a deployment leave a platform out.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.kernel.settings import Settings
from bot.kernel.transport import Transport

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.pacing import Limits

__all__ = ["Platform", "load_platforms", "platform_names", "platform_limits", "command_group", "split_workspace"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Platform:
    """What an adapter offers the core."""

    name: str
    # True when the settings hold what this platform needs to start.
    is_configured: Callable[[Settings], bool]
    # Runs the platform until cancelled (connects, serves, answers).
    run: Callable[[App], Awaitable[None]]
    # The delivery side for scheduled messages, when the platform has one.
    make_transport: Callable[[App], Transport] | None = None
    # Extra ``cos-bot`` sub-commands (``serve``, ``discord sync`` ...).
    register_cli: Callable[[argparse._SubParsersAction], None] | None = None
    # Started only when no other platform is configured (the console).
    fallback: bool = False
    # How fast scheduled messages may go out (per channel, per workspace) under these settings; None:
    # unpaced. The platform knows its limits; the core's pacer asks for them on first use.
    limits: Callable[[Settings], Limits] | None = None
    # HTTP routes of its own (``POST /discord/interactions``), mounted beside /healthz, /readyz and
    # /metrics on whichever server runs (bot.ops.web): ``lambda app: [web.post(path, handler)]`` (aiohttp
    # RouteDefs; typed loosely so the core's plugin type needs no web framework).
    http_routes: Callable[[App], Iterable[Any]] | None = None
    # True when, with these settings, the platform runs an HTTP server of its own that mounts
    # bot.ops.web's routes (Slack's HTTP mode); ``cos-bot run`` then serves no other.
    serves_http: Callable[[Settings], bool] | None = None


def entry_points(*, group: str, name: str | None = None) -> Any:
    """The installed entry points of ``group`` (importlib.metadata is imported on first use: ask needs none)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group) if name is None else installed(group=group, name=name)


def load_platforms(*, only: Collection[str] | None = None) -> dict[str, Platform]:
    """Every installed platform (or those named in ``only``), by name.

    A platform that fails to import is logged and skipped. Loading one imports its
    SDK, so commands that need a single platform name it.
    """
    found: dict[str, Platform] = {}
    for ep in entry_points(group="cos_bot.platforms"):
        if only is not None and ep.name not in only:
            continue
        try:
            platform = ep.load()
        except Exception as exc:  # noqa: BLE001 - one broken adapter must not stop the others
            log.warning("platform %s could not be loaded: %s", ep.name, exc)
            continue
        if isinstance(platform, Platform):
            found[platform.name] = platform
    return dict(sorted(found.items()))


def platform_names() -> tuple[str, ...]:
    """The installed platforms' names, read from the entry points without importing any adapter."""
    return tuple(sorted({ep.name for ep in entry_points(group="cos_bot.platforms")}))


class PlatformChoices:
    """``choices`` for a ``--platform`` option, read from the entry points only when an option is checked or
    its help shown: building the CLI's parser (every ``cos-bot`` command does) reads none."""

    def __contains__(self, name: object) -> bool:
        return name in platform_names()

    def __iter__(self) -> Iterator[str]:
        return iter(platform_names())


def command_group(sub: argparse._SubParsersAction, name: str, *, help: str) -> argparse._SubParsersAction:
    """Add ``cos-bot <name> ACTION`` (``schedule preview``, ``discord sync``): returns where actions go."""
    parser = sub.add_parser(name, help=help)
    actions = parser.add_subparsers(dest=f"{name}_cmd", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    return actions


def platform_limits(name: str, settings: object | None = None) -> Limits | None:
    """The send limits the platform ``name`` declares (loading that plugin only); None when it has none."""
    for ep in entry_points(group="cos_bot.platforms", name=name):
        try:
            platform = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken adapter is logged, not fatal
            log.warning("platform %s could not be loaded: %s", ep.name, exc)
            return None
        if isinstance(platform, Platform) and platform.limits is not None:
            return platform.limits(settings if isinstance(settings, Settings) else Settings())
    return None


def split_workspace(text: str, platform: str | None = None) -> tuple[str | None, str]:
    """A ``--workspace`` argument: ``slack:T123`` names its platform, ``T123`` leaves it to ``platform``.

    Returns (platform or None, workspace id); ``ValueError`` when no workspace id is left.
    """
    workspace = text.strip()
    prefix, sep, rest = workspace.partition(":")
    if sep and prefix in platform_names() and platform is None:
        platform, workspace = prefix, rest
    if not workspace:
        raise ValueError("--workspace is empty")
    return platform, workspace
