"""Damage reports (通報): the guided conversation, routing, statuses, photos, Open311."""
