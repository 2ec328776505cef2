"""The entry floor: app factory, webhook, dispatch table, event processing, CLI."""
