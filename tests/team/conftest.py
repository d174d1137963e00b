"""The delivery world's fixtures (``tests.world``)."""

from tests.world import any_world, clock, world

__all__ = ["any_world", "clock", "world"]
