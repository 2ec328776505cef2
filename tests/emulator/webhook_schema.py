"""Validate a webhook request body against LINE's webhook.yml, the contract of what LINE posts.

jsonschema does not know OpenAPI's `discriminator`, so this helper dispatches on it by hand
(event `type`, source `type`, message `type`) and validates against the concrete schema. It also
rejects properties the spec does not define, so a misspelt field cannot slip through.
Reused by other packages' tests: `from tests.emulator.webhook_schema import validate_webhook_body`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_PATH = (Path(__file__).resolve().parents[2].parent
             / "shared" / "specs" / "line-openapi" / "webhook.yml")
_BASE = "urn:line-webhook"
_ROOT = "#/components/schemas/CallbackRequest"


@functools.cache
def _spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(_BASE, DRAFT202012.create_resource(_spec()))


def _schema_at(ref: str) -> dict[str, Any]:
    node: Any = _spec()
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _properties(schema: dict[str, Any]) -> dict[str, Any] | None:
    """Return every property a schema allows (merging allOf), or None if it allows any."""
    if "$ref" in schema:
        return _properties(_schema_at(schema["$ref"]))
    if "additionalProperties" in schema:
        return None
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        more = _properties(part)
        if more is None:
            return None
        props.update(more)
    return props


def _concrete_ref(instance: Any, ref: str) -> str:
    """Follow an OpenAPI discriminator from a base schema to the concrete one."""
    discriminator = _schema_at(ref).get("discriminator")
    if discriminator is None or not isinstance(instance, dict):
        return ref
    kind = instance.get(discriminator["propertyName"])
    mapping = discriminator.get("mapping", {})
    if kind not in mapping:
        raise ValidationError(f"{ref}: unknown {discriminator['propertyName']} {kind!r}")
    return mapping[kind]


def _walk(instance: Any, schema: dict[str, Any], where: str) -> None:
    if "$ref" in schema:
        _check_ref(instance, schema["$ref"], where)
    elif isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            _walk(item, schema["items"], f"{where}[{i}]")
    elif isinstance(instance, dict):
        _check_keys(instance, schema, where)


def _check_keys(instance: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    props = _properties(schema)
    if props is None or not props:
        return
    unknown = sorted(set(instance) - set(props))
    if unknown:
        raise ValidationError(f"{where}: properties not in webhook.yml: {unknown}")
    for key, value in instance.items():
        _walk(value, props[key], f"{where}.{key}")


def _check_ref(instance: Any, ref: str, where: str) -> None:
    concrete = _concrete_ref(instance, ref)
    Draft202012Validator({"$ref": _BASE + concrete}, registry=_registry()).validate(instance)
    schema = _schema_at(concrete)
    if isinstance(instance, dict):
        _check_keys(instance, schema, where)
    elif isinstance(instance, list):
        _walk(instance, schema, where)


def validate_webhook_body(body: dict) -> None:
    """Raise jsonschema.ValidationError unless `body` is a webhook body webhook.yml allows."""
    _check_ref(body, _ROOT, "body")
