"""The layering rules that import-linter cannot express generically.

The import-linter contracts in pyproject.toml hold the layers; these tests keep the
contracts complete as folders are added, and check what wildcards cannot say: a
domain may call another domain's service functions, never reach into its tables or
its router, and only its routers know HTTP.
"""

import ast
import tomllib
from pathlib import Path
from typing import Any

import omnichannel

ROOT = Path(omnichannel.__file__).parent
PYPROJECT = ROOT.parents[1] / "pyproject.toml"
CONTRACTS: list[dict[str, Any]] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"][
    "importlinter"
]["contracts"]
ENTRYPOINTS = {"api", "cli", "demo", "migrations", "web"}
HTTP = ("fastapi", "starlette", "omnichannel.http", "omnichannel.api", "omnichannel.cli")


def _contract(name_start: str) -> dict[str, Any]:
    (found,) = (c for c in CONTRACTS if c["name"].startswith(name_start))
    return found


LAYERS = _contract("Entrypoints over journeys")["layers"]


def _members(layer: str) -> list[str]:
    """`omnichannel.x` names of one layer, optional ones (in parentheses) included."""
    sep = "|" if "|" in layer else ":"
    return [m.strip().strip("()").removeprefix("omnichannel.") for m in layer.split(sep)]


def _top_level() -> set[str]:
    """Every package and module directly under src/omnichannel."""
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    return packages | modules


def _bands() -> tuple[list[str], list[str], list[str]]:
    """The layers' names above the domains (entrypoints down to `wiring`), the domains
    (between `wiring` and the HTTP plumbing), and below them (`http` down)."""
    names = [_members(layer) for layer in LAYERS]
    top = next(i for i, m in enumerate(names) if "wiring" in m)
    bottom = next(i for i, m in enumerate(names) if "http" in m)

    def flat(layers: list[list[str]]) -> list[str]:
        return [name for layer in layers for name in layer]

    return flat(names[: top + 1]), flat(names[top + 1 : bottom]), flat(names[bottom:])


ABOVE, DOMAIN_LAYERS, BELOW = _bands()
DOMAINS = sorted(d for d in DOMAIN_LAYERS if (ROOT / d / "__init__.py").exists())


def _is_router(path: Path) -> bool:
    return path.stem == "api" or path.stem.startswith("api_")


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


def _modules_imported(path: Path) -> set[str]:
    """The `omnichannel.<package>.<module>` modules a file imports (a name imported from
    a package counts as its module: `from omnichannel.carts import service`)."""
    out = set()
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "omnichannel" and len(parts) >= 3:
            out.add(".".join(parts[:3]))
    return out


def _domain_files(domain: str) -> list[Path]:
    return sorted((ROOT / domain).rglob("*.py"))


def test_there_are_domains_to_check() -> None:
    assert {"catalog", "channels", "locations", "security", "orders", "carts"} <= set(DOMAINS)


def test_every_top_level_package_and_module_is_in_the_layers_contract() -> None:
    layered = {name for layer in LAYERS for name in _members(layer)}
    assert _top_level() - {"__init__"} - layered == set()


def test_every_domain_keeps_the_layer_order_inside_it() -> None:
    containers = {
        c.removeprefix("omnichannel.") for c in _contract("Inside a domain")["containers"]
    }
    assert set(DOMAINS) <= containers <= set(DOMAIN_LAYERS)


def test_the_http_plumbing_is_forbidden_every_domain_and_entrypoint() -> None:
    plumbing = _contract("The HTTP plumbing imports no domain")
    forbidden = {m.removeprefix("omnichannel.") for m in plumbing["forbidden_modules"]}
    assert set(DOMAINS) | (set(ABOVE) & _top_level()) <= forbidden


def test_no_domain_imports_the_app_assembly() -> None:
    assembly = _contract("Nothing but the entrypoints imports the app assembly")
    sources = {m.removeprefix("omnichannel.") for m in assembly["source_modules"]}
    assert set(DOMAINS) | (set(BELOW) & _top_level()) <= sources
    assert not ENTRYPOINTS & sources


def test_entrypoints_are_not_domains() -> None:
    assert set(ABOVE) >= ENTRYPOINTS
    assert not ENTRYPOINTS & set(DOMAIN_LAYERS)


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


def test_a_router_uses_only_the_service_of_another_domain() -> None:
    offences = []
    for domain in DOMAINS:
        for path in _domain_files(domain):
            if not _is_router(path):
                continue
            for module in _modules_imported(path):
                _, other, name = module.split(".")
                if other in DOMAINS and other != domain and name != "service":
                    offences.append(f"{domain}/{path.name} imports {module}")
    assert offences == []


def test_only_a_domains_routers_know_http() -> None:
    offences = []
    for domain in DOMAINS:
        for path in _domain_files(domain):
            if _is_router(path):
                continue
            for name in _imports(path):
                if any(name == h or name.startswith(h + ".") for h in HTTP):
                    offences.append(f"{domain}/{path.name} imports {name}")
    assert offences == []


def _function_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    out: list[ast.Import | ast.ImportFrom] = []
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            out.extend(n for n in ast.walk(fn) if isinstance(n, ast.Import | ast.ImportFrom))
    return out


def test_an_import_inside_a_function_says_why() -> None:
    """It names the cycle it breaks or the cost it avoids, in a comment at the end of its
    line or on the line before (one comment may head a block of such imports)."""
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        nested = _function_imports(ast.parse("\n".join(lines)))
        import_lines = {n for node in nested for n in range(node.lineno, node.end_lineno + 1)}
        for node in nested:
            if "#" in lines[node.end_lineno - 1] or "#" in lines[node.lineno - 1]:
                continue
            above = node.lineno - 1
            while above in import_lines:
                above -= 1
            if not lines[above - 1].strip().startswith("#"):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []
