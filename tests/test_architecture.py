"""The core never imports a platform SDK or an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "adapters", "aiohttp")
# The neutral HTTP modules (/healthz, /readyz, /metrics, and serving them in ``cos-bot run``) may use
# aiohttp, and only aiohttp.
ALLOWED = {("bot/web.py", "aiohttp"), ("bot/serving.py", "aiohttp")}


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
    sample.write_text("import slack_sdk\nfrom discord import Client\nimport importlib\nimportlib.import_module('adapters.slack')\n")
    assert [n.split(".")[0] for n in _imports(sample)] == ["slack_sdk", "discord", "importlib", "adapters"]


def test_only_the_neutral_http_modules_may_use_aiohttp():
    assert ALLOWED == {("bot/web.py", "aiohttp"), ("bot/serving.py", "aiohttp")}
    for module in ("web.py", "serving.py"):
        names = _imports(ROOT / "bot" / module)
        assert "aiohttp" in names and not any(n.split(".")[0] in FORBIDDEN[:4] for n in names)
