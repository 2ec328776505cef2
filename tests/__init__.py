"""Madoguchi's tests: they mirror the packages."""
