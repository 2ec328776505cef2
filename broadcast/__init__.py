"""Broadcasts: delivery preferences, segments, scheduling and the resumable delivery engine."""
