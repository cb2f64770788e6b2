"""Python models: datamodel-code-generator (pinned), on the SDK's own base class.

The options matter: wire names are already snake_case, so no field renaming
(``--snake-case-field`` is not used); camelCase input comes from the base class's alias
generator (``questline._models.QuestlineModel``). Unions and enums become type aliases
rather than root models, so ``event.type`` works directly on a parsed webhook event.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

__all__ = ["DATAMODEL_CODEGEN_VERSION", "exported_names", "generate_models"]

DATAMODEL_CODEGEN_VERSION = "0.89.0"

OPTIONS = [
    "--input-file-type=openapi",
    "--openapi-scopes=schemas",
    "--output-model-type=pydantic_v2.BaseModel",
    "--target-python-version=3.10",
    "--target-pydantic-version=2.11",
    "--base-class=questline._models.QuestlineModel",
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


def generate_models(spec: Path, out_dir: Path, header: str) -> list[Path]:
    """Write ``_models.py`` into ``out_dir`` from the spec's component schemas."""
    _check_version()
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
