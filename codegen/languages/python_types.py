"""Python names and type annotations for the intermediate model's names and types."""

from __future__ import annotations

import keyword
import textwrap

from ..ir import TypeRef

__all__ = ["docstring", "ident", "input_type", "not_given", "output_type", "pascal"]


def ident(name: str) -> str:
    """A wire name as a Python identifier (``from`` -> ``from_``, ``Last-Event-ID`` -> ``last_event_id``).

    Only hard keywords are renamed: soft keywords (``match``, ``case``, ``type``) are valid
    parameter names, and the soft-keyword list differs between Python versions, which would
    make the generated code depend on the interpreter that ran the generator.
    """
    name = name.replace("-", "_").lower() if "-" in name else name
    return f"{name}_" if keyword.iskeyword(name) else name


def pascal(parts: tuple[str, ...]) -> str:
    return "".join(p.title().replace("_", "") for part in parts for p in part.split("_"))


def input_type(ref: TypeRef, names: set[str]) -> str:
    """The annotation for a value the caller passes in."""
    base: str
    if ref.kind == "ref":
        assert ref.name is not None
        names.add(ref.name)
        base = ref.name
        if ref.ref_kind in ("object", "union"):
            base = f"{ref.name} | Mapping[str, object]"
    elif ref.kind == "array":
        assert ref.items is not None
        base = f"Sequence[{input_type(ref.items, names)}]"
    elif ref.kind == "map":
        assert ref.items is not None
        base = f"Mapping[str, {input_type(ref.items, names)}]"
    elif ref.kind == "union":
        base = " | ".join(input_type(v, names) for v in ref.variants)
    elif ref.kind == "literal":
        base = f"Literal[{', '.join(repr(v) for v in ref.literals)}]"
    else:
        base = {
            "string": "str",
            "uri": "str",
            "integer": "int",
            "number": "float",
            "boolean": "bool",
            "datetime": "datetime | str",
            "date": "date | str",
            "any": "object",
        }[ref.kind]
    return f"{base} | None" if ref.nullable else base


def not_given(annotation: str) -> str:
    """``X | NotGiven``, keeping ``None`` last as the style checker wants."""
    if annotation.endswith(" | None"):
        return f"{annotation[: -len(' | None')]} | NotGiven | None"
    return f"{annotation} | NotGiven"


def output_type(ref: TypeRef | None, names: set[str]) -> str:
    if ref is None:
        return "None"
    if ref.kind != "ref" or ref.name is None:
        raise ValueError(f"responses must $ref a schema, got {ref}")
    names.add(ref.name)
    return ref.name


def docstring(*parts: str, indent: int = 8) -> str:
    """A docstring body, wrapped, safe to put between triple quotes."""
    paragraphs: list[str] = []
    for part in parts:
        for para in part.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').split("\n\n"):
            text = " ".join(para.split())
            if text:
                paragraphs.append(textwrap.fill(text, width=96 - indent))
    pad = " " * indent
    body = "\n\n".join(paragraphs) or "(undocumented)"
    return textwrap.indent(body, pad).lstrip() + ("\n" + pad if "\n" in body else "")
