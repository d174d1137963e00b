"""The core never imports a platform SDK or an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters", "aiohttp")
# The neutral HTTP modules (/healthz, /readyz, /metrics, and serving them in ``cos-bot run``) may use
# aiohttp, and only aiohttp.
ALLOWED = {("bot/ops/web.py", "aiohttp"), ("bot/ops/serving.py", "aiohttp")}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.append(arg.value)
    return names


def test_core_and_knowledge_stay_platform_neutral():
    offenders = []
    for package in ("bot", "knowledge"):
        for path in (ROOT / package).rglob("*.py"):
            for name in _imports(path):
                top = name.split(".")[0]
                if top in FORBIDDEN and (path.relative_to(ROOT).as_posix(), top) not in ALLOWED:
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_check_itself_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text(
        "import slack_sdk\nfrom discord import Client\nimport importlib\nimportlib.import_module('adapters.slack')\n"
    )
    assert [n.split(".")[0] for n in _imports(sample)] == ["slack_sdk", "discord", "importlib", "adapters"]


def test_the_neutral_http_modules_use_aiohttp_and_no_platform():
    """Each allowance is used (a stale one would hide a new offender) and grants aiohttp alone."""
    for module, allowed in ALLOWED:
        names = _imports(ROOT / module)
        assert allowed in {n.split(".")[0] for n in names}, f"{module} no longer needs {allowed}"
        assert not any(n.split(".")[0] in FORBIDDEN[:4] for n in names)


def _resolved_imports(path: Path, root: Path) -> list[str]:
    """Every module ``path`` imports, relative imports (``from ..slack import x``) made absolute."""
    names = _imports(path)
    package = path.relative_to(root).with_suffix("").parts[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - node.level + 1]
            if node.module:
                names.append(".".join([*base, node.module]))
            else:
                names.extend(".".join([*base, alias.name]) for alias in node.names)
    return names


def _adapter_crossings(root: Path) -> list[str]:
    """Imports from one adapter package into another (``adapters.common`` is for all of them)."""
    found = []
    for package in sorted(p for p in (root / "adapters").iterdir() if (p / "__init__.py").exists()):
        for path in sorted(package.rglob("*.py")):
            for name in _resolved_imports(path, root):
                parts = name.split(".")
                if parts[0] == "adapters" and len(parts) > 1 and parts[1] not in (package.name, "common"):
                    found.append(f"{path.relative_to(root).as_posix()} imports {name}")
    return found


def test_adapters_never_import_each_other():
    """A platform reaches another only through the core (``Platform.http_routes``, transports), so a
    deployment can leave any adapter out."""
    assert _adapter_crossings(ROOT) == []


def test_the_adapter_check_catches_a_crossing(tmp_path):
    for name in ("common", "alpha", "beta"):
        (tmp_path / "adapters" / name).mkdir(parents=True)
        (tmp_path / "adapters" / name / "__init__.py").write_text("")
    (tmp_path / "adapters" / "alpha" / "ok.py").write_text("from adapters.alpha import x\nimport adapters.common\n")
    (tmp_path / "adapters" / "alpha" / "bad.py").write_text(
        "from adapters.beta.server import serve\nfrom ..beta import client\n"
        "def f():\n    import importlib\n    importlib.import_module('adapters.beta.y')\n"
    )
    assert _adapter_crossings(tmp_path) == [
        "adapters/alpha/bad.py imports adapters.beta.server",
        "adapters/alpha/bad.py imports adapters.beta.y",
        "adapters/alpha/bad.py imports adapters.beta",
    ]


PLATFORM_NAMES = frozenset({"slack", "discord", "console"})
# The command line names its own sub-commands (``cos-bot console``), which share a platform's name.
_CLI = ROOT / "bot" / "cli" / "__init__.py"


def _platform_logic(path: Path) -> list[str]:
    """Places where code decides by a platform's name: comparisons and lookup keys, not messages or docs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []

    def named(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value.lower() in PLATFORM_NAMES
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(named(e) for e in node.elts)
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(named(n) for n in (node.left, *node.comparators)):
            found.append(f"{path.name}:{node.lineno} compares with a platform name")
        elif isinstance(node, ast.Dict) and any(k is not None and named(k) for k in node.keys):
            found.append(f"{path.name}:{node.lineno} keys a mapping by platform name")
        elif isinstance(node, ast.Subscript) and named(node.slice):
            found.append(f"{path.name}:{node.lineno} looks up a platform by name")
    return found


def test_core_logic_names_no_platform():
    """Platform facts (mention syntax, limits, DM conventions) come from the adapters, not from ``bot/``."""
    offenders = []
    for package in ("bot", "knowledge"):
        for path in (ROOT / package).rglob("*.py"):
            if path != _CLI:
                offenders.extend(_platform_logic(path))
    assert offenders == []


def test_the_platform_name_check_catches_decisions_not_words(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text(
        'if p == "slack": pass\nLIMITS = {"discord": 1}\nx = d["Console"]\n'
        'y = p in ("slack", "teams")\nprint("Slack and Discord answers")\n'
    )
    assert [line.split(" ", 1)[0] for line in _platform_logic(sample)] == ["x.py:1", "x.py:2", "x.py:3", "x.py:4"]
