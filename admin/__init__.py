"""The staff web admin: FAQ, inquiries, reports, broadcasts, statistics (Flask blueprints)."""
