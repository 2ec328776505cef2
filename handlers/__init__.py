"""One module per LINE event kind: turn an event into service calls and replies."""
