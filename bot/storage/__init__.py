"""Storage: SQLAlchemy models, engine and repositories."""
