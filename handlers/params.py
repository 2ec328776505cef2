"""Postback data: `action=…&…`, parsed defensively — a citizen's client can send anything."""
from __future__ import annotations

from urllib.parse import parse_qs

MAX_POSTBACK_DATA = 300  # LINE's limit; anything longer was not made by us


def parse_postback_data(data: str) -> dict[str, str]:
    """`action=browse&c=税` → {"action": "browse", "c": "税"}; oversized data or repeated keys give {}."""
    if len(data) > MAX_POSTBACK_DATA:
        return {}
    try:
        parsed = parse_qs(data, keep_blank_values=True, max_num_fields=10)
    except ValueError:  # more fields than any action of ours has
        return {}
    if any(len(values) != 1 for values in parsed.values()):
        return {}
    return {key: values[0] for key, values in parsed.items()}


def int_param(params: dict[str, str], name: str) -> int:
    """A positive id from the params, or 0 when absent or not a plain number."""
    value = params.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 18 else 0
