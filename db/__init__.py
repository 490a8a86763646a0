"""Persistence adapters (SQLAlchemy 2)."""
