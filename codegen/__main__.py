"""``python -m codegen [--spec openapi.yaml] [--check]``, run from the repository root."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .generate import check, generate
from .parse import SpecError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--spec", type=Path, default=Path("openapi.yaml"))
    parser.add_argument("--repo", type=Path, default=Path("."), help="repository root")
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and exit 1 if any file differs",
    )
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    spec = (repo / args.spec) if not args.spec.is_absolute() else args.spec
    try:
        if args.check:
            differing = check(repo, spec)
            if differing:
                print("generated files are out of date (run: python -m codegen):")
                for name in differing:
                    print(f"  {name}")
                return 1
            print("generated files are up to date")
            return 0
        for path in generate(repo, spec):
            print(path.relative_to(repo))
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
