"""Alembic migrations of the call records (run by `RecordStore.migrate()`)."""
