"""Alembic migrations (env.py runs only inside Alembic)."""
