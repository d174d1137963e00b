"""Command handlers: each returns a Reply and never sends."""
