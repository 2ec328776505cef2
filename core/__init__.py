"""The ground floor: settings, database, the webhook inbox, the LINE gateway."""
