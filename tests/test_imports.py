"""The package's dependency order (ARCHITECTURE.md) holds: no module imports one from a later layer, and imports
inside functions are only of optional dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "scn"

# Bottom to top; a module may import from its own layer or any earlier one. Longest prefix wins.
LAYERS: list[tuple[str, ...]] = [
    ("scn.version", "scn.errors", "scn.atomic", "scn.allocator", "scn.cpu", "scn.progress"),
    ("scn.layers",),
    ("scn.data",),
    ("scn.metrics",),
    ("scn.tasks",),
    ("scn.config",),
    ("scn.archs",),
    ("scn.complexity", "scn.checkpoint", "scn.models"),
    ("scn.zoo",),
    ("scn.resolve",),
    ("scn.peers",),
    ("scn.inference",),
    ("scn.evaluation",),
    ("scn.training",),
    ("scn.experiments",),
    ("scn.web",),
    ("scn.cli",),
    ("scn", "scn.__main__"),  # the package root re-exports the API; nothing inside imports it
]
# Imports allowed inside functions: optional dependencies, and what must follow a runtime choice.
OPTIONAL = {"onnx", "onnxscript", "onnxruntime", "bm3d", "torch.utils.tensorboard",
            "png"}  # pypng: a dependency, but only 16-bit colour PNGs need it (machines without it still train)
# Dependencies that take most of a second each to import and that few commands use (drawing, confidence intervals,
# SSIM): imported where used, so `scn restore` and every `scn train` process start without them.
DEFERRED = {"matplotlib", "scipy.stats", "scipy.ndimage"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or (prefix not in ("scn", "scn.__main__") and module.startswith(prefix + "."))
            if inside and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer of LAYERS"
    return rank


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[str, int, bool]]:
    """(imported name, line, inside a function) for every import in `source`, the text of `module`; relative
    imports made absolute, `from X import y` as `X.y` (resolve_module maps it back to a module)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - (child.level - 1)])
                    target = f"{base}.{child.module}" if child.module else base
                else:
                    target = child.module or ""
                found.extend((f"{target}.{alias.name}", child.lineno, in_function) for alias in child.names)
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(source), False)
    return found


def scn_imports(path: Path) -> list[tuple[str, int, bool]]:
    return imports_of(path.read_text(), module_name(path), path.name == "__init__.py")


def resolve_module(name: str) -> str:
    """`scn.archs.SCN` (a name imported from a package) -> `scn.archs`; modules stay as they are."""
    parts = name.split(".")
    while parts and not ((PACKAGE.parent / Path(*parts)).with_suffix(".py").exists()
                         or (PACKAGE.parent / Path(*parts) / "__init__.py").exists()):
        parts.pop()
    return ".".join(parts)


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))


def test_no_upward_imports() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = module_name(path)
        for name, line, _ in scn_imports(path):
            if not (name == "scn" or name.startswith("scn.")):
                continue
            target = resolve_module(name)
            if me.startswith(target + ".") and path.name == "__init__.py":
                continue
            if target != me and layer_of(target) > layer_of(me):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {me} imports {target}")
    assert not bad, "imports from a later layer:\n" + "\n".join(bad)


def test_function_level_imports_are_optional_dependencies_only() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, line, in_function in scn_imports(path):
            if in_function and not any(name == o or name.startswith(o + ".") for o in OPTIONAL | DEFERRED):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: import {name} inside a function")
    assert not bad, "imports inside functions (move them to the top, or list an optional dependency):\n" + \
        "\n".join(bad)


def upward(source: str, module: str) -> list[str]:
    return [resolve_module(n) for n, _, _ in imports_of(source, module, False)
            if n.startswith("scn.") and layer_of(resolve_module(n)) > layer_of(module)]


def test_the_checker_sees_upward_and_function_imports() -> None:
    """Relative imports resolve: a layers module importing the CLI, or config importing an architecture, is
    caught; an import inside a function is seen as one."""
    assert upward("from ..cli.main import main\n", "scn.layers.conv") == ["scn.cli.main"]
    assert upward("from .archs import SCN\n", "scn.config") == ["scn.archs"]
    assert upward("from . import tasks\n", "scn.config") == []
    assert upward("from ..layers.geometry import level_sizes\n", "scn.inference.tiling") == []
    inner = imports_of("def f():\n    from ..zoo import find_pretrained\n", "scn.inference.api", False)
    assert inner == [("scn.zoo.find_pretrained", 2, True)]


def test_the_command_line_starts_without_the_deferred_dependencies() -> None:
    """`import scn.cli.main` (what every `scn` command and training process pays before it starts) loads none of
    DEFERRED: each would add most of a second to `scn restore`."""
    code = f"import sys, scn.cli.main; print(' '.join(m for m in sys.modules if m.startswith({tuple(DEFERRED)!r})))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PACKAGE.parent).stdout.split()
    assert not loaded, f"imported at start: {loaded[:5]}"
