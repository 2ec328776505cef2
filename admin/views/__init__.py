"""Admin screens, one blueprint per area."""
