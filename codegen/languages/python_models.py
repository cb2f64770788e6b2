"""Python models: datamodel-code-generator (pinned), on the SDK's own base classes.

The options matter: wire names are already snake_case, so no field renaming
(``--snake-case-field`` is not used); camelCase input comes from the base class's alias
generator (``questline._models.QuestlineModel``). Unions and enums become type aliases
rather than root models, so ``event.type`` works directly on a parsed webhook event.

Nullability is the spec's, so strict validation of a request needs nothing beside the
model: a property that is optional but not nullable is typed ``X | MISSING = MISSING``
(``--use-missing-sentinel``; callers still leave it out, and an explicit null is refused),
a nullable one ``X | None``, and one with a default takes its default's type without
``None`` (``--strict-nullable``).

The models with a field named by a Python keyword (``not``, ``from``) get their own base
class, :data:`KEYWORD_BASE`, which renames those wire keys before validation; every other
model keeps a base without a model validator (see ``questline._models`` for why).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from ..ir import Api
from .python_types import ident

__all__ = [
    "DATAMODEL_CODEGEN_VERSION",
    "exported_names",
    "generate_models",
    "keyword_models",
]

DATAMODEL_CODEGEN_VERSION = "0.89.0"
BASE = "questline._models.QuestlineModel"
KEYWORD_BASE = "questline._models.QuestlineKeywordModel"

OPTIONS = [
    "--input-file-type=openapi",
    "--openapi-scopes=schemas",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.10",
    # 2.14: ``MISSING`` comes from pydantic itself (no longer experimental).
    "--target-pydantic-version=2.14",
    f"--base-class={BASE}",
    "--strict-nullable",
    "--use-missing-sentinel",
    "--use-annotated",
    "--field-constraints",
    "--use-union-operator",
    "--use-standard-collections",
    "--enum-field-as-literal=all",
    "--use-type-alias",
    "--use-object-type",
    "--use-schema-description",
    "--use-field-description",
    "--use-double-quotes",
    "--disable-timestamp",
    "--disable-warnings",
    "--no-formatters",
]


def _check_version() -> None:
    from importlib.metadata import version

    found = version("datamodel-code-generator")
    if found != DATAMODEL_CODEGEN_VERSION:
        raise RuntimeError(
            f"datamodel-code-generator {DATAMODEL_CODEGEN_VERSION} is required (found {found}); "
            'install the dev extra: pip install -e ".[dev]"'
        )


def keyword_models(api: Api) -> list[str]:
    """The schemas with a property whose wire name is no Python name (``not`` -> ``not_``)."""
    return sorted(
        name
        for name, schema in api.schemas.items()
        if any(ident(f.name) != f.name for f in schema.fields)
    )


def generate_models(api: Api, spec: Path, out_dir: Path, header: str) -> list[Path]:
    """Write ``_models.py`` into ``out_dir`` from the spec's component schemas."""
    _check_version()
    base_class_map = {name: KEYWORD_BASE for name in keyword_models(api)}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "_models.py"
    cmd = [
        sys.executable,
        "-m",
        "datamodel_code_generator",
        f"--input={spec}",
        f"--output={target}",
        f"--custom-file-header={header}",
        *OPTIONS,
        f"--base-class-map={json.dumps(base_class_map, sort_keys=True)}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"datamodel-codegen failed:\n{result.stderr}")
    return [target]


def exported_names(models_file: Path) -> list[str]:
    """Public classes and type aliases defined at the top level of the models module."""
    tree = ast.parse(models_file.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return sorted(n for n in names if not n.startswith("_"))
