"""Console adapter: an interactive prompt for local use and demos."""

from adapters.console.platform import PLATFORM

__all__ = ["PLATFORM"]
