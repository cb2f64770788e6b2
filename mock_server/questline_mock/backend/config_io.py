"""A project's whole configuration as one document: ``GET``/``PUT /v1/sandbox/config``.

The document (the spec's ``SandboxConfig``) holds the levels, the six definition kinds and
the webhook endpoints, so a test suite or a ``--seed`` file can set up a whole program in
one request and a project can be copied by exporting it and importing the result.

Import is all or nothing. The whole document is validated before anything is kept:
first its shape (the generated ``SandboxConfig`` model, as every request body), then each
definition through the engine's own ``canonicalize_definition`` inside one unit of work that
already holds the new document, so references are checked across the document whatever
the order its entries come in. Any error raises ``DefinitionError`` naming the field
(``["body", "rules", 2, "actions", 0, "currency"]``) and the unit of work rolls back, so
the stored configuration is unchanged.

Export strips what the server adds (``created_at``, ``updated_at``, endpoint secrets) and
the nulls of unset fields, so export → reset → import → export yields the same document.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from questline import types as t
from questline._signing import generate_secret

from ..domain import JSON, WebhookEndpoint
from ..engine import DefinitionError, IdFactory, canonicalize_definition, validate_levels
from ..engine.render import format_time
from ..storage.base import Reader, UnitOfWork
from ..validation import StrictValidationError, validate_strict
from .core import Backend, ProjectScope

# Standard Webhooks secrets are 24-64 random bytes; as for endpoints made by the API.
SECRET_BYTES = 32
# Dependency order: a kind may refer to the kinds before it (rules to all of them).
KINDS = ("currencies", "badges", "quests", "streaks", "leaderboards", "rules")
SERVER_FIELDS = frozenset({"created_at", "updated_at"})


class SeedError(Exception):
    """A ``--seed`` file that cannot be read or imported."""


# -- export --------------------------------------------------------------------------------


def export_config(scope: ProjectScope) -> JSON:
    with scope.read() as view:
        return export_from(view)


def export_from(view: Reader) -> JSON:
    """The configuration document; ``levels`` is left out while the default curve applies."""
    doc: JSON = {}
    levels = view.get_levels()
    if levels is not None:
        doc["levels"] = levels["levels"]
    for kind in KINDS:
        doc[kind] = [
            _without_nulls({k: v for k, v in definition.items() if k not in SERVER_FIELDS})
            for definition in view.list_definitions(kind).items
        ]
    doc["webhook_endpoints"] = [
        {
            "id": endpoint.id,
            "url": endpoint.url,
            "event_types": list(endpoint.event_types),
            "enabled": endpoint.enabled,
            "description": endpoint.description,
        }
        for endpoint in view.list_webhook_endpoints().items
    ]
    return doc


def _without_nulls(node: Any) -> Any:
    """Drop null fields: the canonical form spells out every default as null, but the
    document's entries are upsert bodies, where leaving a field out means the same and
    several fields (``criteria.conditions``, ``count_property``) may not be null.
    Condition trees are kept as they are: there ``"value": null`` is a comparison."""
    if isinstance(node, dict):
        return {
            key: value if key == "conditions" else _without_nulls(value)
            for key, value in node.items()
            if value is not None
        }
    if isinstance(node, list):
        return [_without_nulls(item) for item in node]
    return node


# -- import --------------------------------------------------------------------------------


def import_config(scope: ProjectScope, document: Any) -> JSON:
    """Replace the project's configuration with ``document``; returns the new export."""
    doc = check_shape(document)
    now = scope.now()
    with scope.uow() as uow:
        replace_config(uow, doc, now, scope.backend.ids)
        return export_from(uow)


def check_shape(document: Any) -> JSON:
    """Validate against the spec's ``SandboxConfig`` exactly as a request body is validated
    (:func:`validate_strict`: strict, unknown fields rejected, null only where allowed)."""
    if not isinstance(document, dict):
        raise DefinitionError([_error(["body"], "must be a JSON object", "type_error")])
    try:
        model = validate_strict(t.SandboxConfig, document)
    except StrictValidationError as exc:
        raise DefinitionError(
            [{**err, "loc": ["body", *err["loc"]]} for err in exc.errors]
        ) from None
    shaped: JSON = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return shaped


def replace_config(uow: UnitOfWork, doc: JSON, now: datetime, ids: IdFactory) -> None:
    """Write ``doc`` as the whole configuration, or raise DefinitionError (caller rolls back)."""
    errors = _duplicate_ids(doc)
    if errors:
        raise DefinitionError(errors)
    created = _drop_missing_definitions(uow, doc)
    # Placeholders first, so a definition may refer to one that comes later in the document.
    for kind in KINDS:
        for entry in doc.get(kind, []):
            uow.put_definition(kind, entry["id"], dict(entry))
    # Twice: the second pass validates every entry against canonical neighbours (a quest's
    # step ids, say), and its errors are the ones that count.
    for _ in range(2):
        errors = []
        for kind in KINDS:
            for index, entry in enumerate(doc.get(kind, [])):
                try:
                    canonical = canonicalize_definition(kind, entry["id"], entry, uow)
                except DefinitionError as error:
                    errors.extend(_relocate(error.errors, kind, index))
                    continue
                canonical["created_at"] = created.get((kind, entry["id"]), _iso(now))
                canonical["updated_at"] = _iso(now)
                uow.put_definition(kind, entry["id"], canonical)
    if "levels" in doc:
        try:
            uow.put_levels(validate_levels({"levels": doc["levels"]}, uow))
        except DefinitionError as error:
            errors.extend(error.errors)
    else:
        uow.put_levels(None)
    if errors:
        raise DefinitionError(errors)
    _replace_endpoints(uow, doc.get("webhook_endpoints", []), now, ids)


def _duplicate_ids(doc: JSON) -> list[JSON]:
    errors = []
    for kind in (*KINDS, "webhook_endpoints"):
        seen: set[str] = set()
        for index, entry in enumerate(doc.get(kind, [])):
            entry_id = entry.get("id")
            if entry_id is not None and entry_id in seen:
                errors.append(_error(["body", kind, index, "id"], f"duplicate id {entry_id!r}"))
            seen.add(entry_id)
    return errors


def _drop_missing_definitions(uow: UnitOfWork, doc: JSON) -> dict[tuple[str, str], str]:
    """Delete definitions the document leaves out; returns the kept ones' ``created_at``."""
    created: dict[tuple[str, str], str] = {}
    for kind in KINDS:
        wanted = {entry["id"] for entry in doc.get(kind, [])}
        for existing in uow.list_definitions(kind).items:
            if existing["id"] in wanted:
                created[(kind, existing["id"])] = existing.get("created_at") or ""
            else:
                uow.delete_definition(kind, existing["id"])
    return {key: value for key, value in created.items() if value}


def _replace_endpoints(uow: UnitOfWork, entries: list[JSON], now: datetime, ids: IdFactory) -> None:
    """Keep given ids and secrets (a seed may pin a known secret); make the rest."""
    existing = {endpoint.id: endpoint for endpoint in uow.list_webhook_endpoints().items}
    wanted = {entry["id"] for entry in entries if entry.get("id")}
    for endpoint_id in existing.keys() - wanted:
        uow.delete_webhook_endpoint(endpoint_id)
    for entry in entries:
        previous = existing.get(entry.get("id") or "")
        if entry.get("secret"):
            secrets: list[tuple[str, datetime | None]] = [(entry["secret"], None)]
        elif previous is not None:
            secrets = previous.secrets
        else:
            secrets = [(generate_secret(SECRET_BYTES), None)]
        enabled = entry.get("enabled", True)
        reason = None
        if not enabled:
            reason = previous.disabled_reason if previous else None
            reason = reason or "disabled in the imported configuration"
        uow.put_webhook_endpoint(
            WebhookEndpoint(
                id=entry.get("id") or ids.new("whe", now),
                url=entry["url"],
                event_types=_event_types(entry.get("event_types") or ["*"]),
                enabled=enabled,
                description=entry.get("description"),
                secrets=secrets,
                created_at=previous.created_at if previous else now,
                updated_at=now,
                disabled_reason=reason,
            )
        )


def _event_types(event_types: list[str]) -> list[str]:
    """As the endpoints API stores them: ``["*"]`` for everything, else each type once."""
    return ["*"] if "*" in event_types else list(dict.fromkeys(event_types))


def _relocate(errors: list[JSON], kind: str, index: int) -> list[JSON]:
    """An entry's errors (``["body", …]`` / ``["path", "id"]``) placed in the document."""
    moved = []
    for err in errors:
        loc = list(err.get("loc") or [])
        rest = ["id"] if loc[:1] == ["path"] else loc[1:]
        moved.append({**err, "loc": ["body", kind, index, *rest]})
    return moved


def _error(loc: list[Any], message: str, type: str = "value_error") -> JSON:
    return {"loc": loc, "message": message, "type": type}


def _iso(moment: datetime) -> str:
    return format_time(moment) or ""


# -- seed ----------------------------------------------------------------------------------


def load_document(path: str | Path) -> Any:
    """A configuration document from a JSON or YAML file (YAML needs PyYAML)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"cannot read seed file {file}: {exc.strerror}") from None
    if file.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise SeedError(f"{file}: reading YAML needs PyYAML (pip install pyyaml)") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SeedError(f"{file} is not valid YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SeedError(f"{file} is not valid JSON: {exc}") from None


def seed(backend: Backend, path: str | Path) -> JSON:
    """Import a seed file into the default project (at start-up, before serving)."""
    project = backend.project_for_key(backend.config.api_key)
    assert project is not None, "the default project exists from the backend's start"
    try:
        return import_config(backend.scope(project), load_document(path))
    except DefinitionError as exc:
        raise SeedError(f"seed file {path} is not a valid configuration: {exc}") from None
