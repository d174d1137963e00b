"""cos-bot core: platform-neutral conversation, storage and scheduling."""

__version__ = "0.1.0"
