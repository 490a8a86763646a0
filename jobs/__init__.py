"""Scheduled jobs: each only triggers a use case."""
