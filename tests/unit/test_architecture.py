"""The layering rules that import-linter cannot express generically.

A domain may call another domain's service functions, never reach into its tables.
"""

import ast
from pathlib import Path

import omnichannel

ROOT = Path(omnichannel.__file__).parent
DOMAINS = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "service.py").exists())
ENTRYPOINTS = {"api", "cli", "demo", "migrations"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_there_are_domains_to_check() -> None:
    assert {"catalog", "channels", "locations", "security"} <= set(DOMAINS)


def test_no_module_reads_another_domains_tables() -> None:
    offences = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        owner = rel[0] if len(rel) > 1 else None
        if owner == "migrations":
            continue  # Alembic needs every table's metadata
        for name in _imports(path):
            parts = name.split(".")
            if (
                len(parts) >= 3
                and parts[0] == "omnichannel"
                and parts[1] in DOMAINS
                and parts[2] == "models"
            ) and parts[1] != owner:
                offences.append(f"{'/'.join(rel)} imports {name}")
    assert offences == []


def test_entrypoints_are_not_domains() -> None:
    assert not ENTRYPOINTS & set(DOMAINS)
