"""The container image, proven without a Docker engine.

The Dockerfile's build stage copies a few paths and runs ``pip install .``. Here the same paths
(minus what ``.dockerignore`` keeps out of the build context) are copied into an empty directory,
built into a wheel, installed into a fresh virtualenv, and ``cos-bot ask`` and ``cos-bot health``
run from it. A file left out of a ``COPY`` (or ignored by mistake) fails this test.

To stay offline and fast the wheel is built with this environment's setuptools
(``--no-build-isolation``), and the fresh virtualenv borrows the already installed dependencies
through a ``.pth`` line instead of downloading them (``--no-deps``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_copies(dockerfile: Path) -> list[tuple[list[str], str]]:
    """``COPY`` instructions that read the build context (not ``--from=`` another stage): (sources, dest)."""
    copies = []
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        words = raw.split()
        if not words or words[0].upper() != "COPY":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if any(w.startswith("--from") for w in words[1:]):
            continue
        copies.append((args[:-1], args[-1]))
    return copies


def dockerignore_patterns(path: Path) -> list[str]:
    patterns = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    assert not any(p.startswith("!") for p in patterns), "exceptions are not modelled by this test"
    return patterns


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule, as far as our patterns use it: a pattern matches the path or one of its parents."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], bare):
                return True
    return False


def build_context(dest: Path) -> list[str]:
    """Copy what the Dockerfile's build stage copies into ``dest``; returns the copied files."""
    patterns = dockerignore_patterns(ROOT / ".dockerignore")
    copied: list[str] = []
    for sources, target in dockerfile_copies(ROOT / "Dockerfile"):
        for source in sources:
            src = ROOT / source
            assert src.exists(), f"the Dockerfile copies {source}, which does not exist"
            files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(ROOT).as_posix()
                if ignored(relative, patterns):
                    continue
                # "COPY a b ./" puts files in the workdir; "COPY dir ./dir" keeps the directory.
                inside = file.relative_to(src).as_posix() if src.is_dir() else file.name
                base = target.rstrip("/").removeprefix("./") if src.is_dir() else ""
                out = dest / base / inside if base else dest / inside
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, out)
                copied.append(out.relative_to(dest).as_posix())
    return copied


def test_the_dockerfile_copies_and_ignores_what_the_test_models() -> None:
    copies = dockerfile_copies(ROOT / "Dockerfile")
    assert (["pyproject.toml", "README.md"], "./") in copies
    assert {"bot", "adapters", "knowledge", "migrations"} <= {s for sources, _ in copies for s in sources}
    patterns = dockerignore_patterns(ROOT / ".dockerignore")
    assert ignored(".env", patterns) and ignored("data/cos-bot.db", patterns)
    assert ignored("bot/__pycache__/app.cpython-311.pyc", patterns) and ignored("tests/conftest.py", patterns)
    assert not ignored("knowledge/content/legal.yaml", patterns) and not ignored("bot/app.py", patterns)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX virtualenv layout")
def test_wheel_from_the_dockerfile_paths_installs_and_answers(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    copied = build_context(context)
    assert "pyproject.toml" in copied and "migrations/env.py" in copied
    assert not any("__pycache__" in c for c in copied)

    wheels = tmp_path / "wheels"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_", "PYTHON", "LOG_", "PIP_"))
    }
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(context),
        ],
        env=env,
        cwd=tmp_path,
        timeout=300,
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    # The packaging metadata draws no deprecation notice (an SPDX license string, no license table).
    assert "deprecat" not in (built.stdout + built.stderr).lower(), built.stderr
    (wheel,) = wheels.glob("cos_bot-*.whl")

    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True, timeout=120)
    python = fresh / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies (not cos-bot itself: that .pth-file finder is not read from here) come from this env.
    (purelib / "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )

    run_dir = tmp_path / "run"  # no source tree here: everything must come from the wheel
    run_dir.mkdir()
    env["DATABASE_URL"] = f"sqlite:///{run_dir / 'image.db'}"
    cli = str(fresh / "bin" / "cos-bot")
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import bot, knowledge, adapters.slack, migrations; print(bot.__file__, knowledge.__file__)",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=run_dir,
        timeout=60,
    )
    assert all(p.startswith(str(fresh)) for p in where.stdout.split()), where.stdout

    asked = subprocess.run(
        [cli, "ask", "/cos-service legal", "--json"], capture_output=True, text=True, env=env, cwd=run_dir, timeout=120
    )
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["title"] == "Comprehensive Legal Services" and "error" not in answer
    assert "Traceback" not in asked.stderr

    health = subprocess.run([cli, "health"], capture_output=True, text=True, env=env, cwd=run_dir, timeout=120)
    assert health.returncode == 0, health.stdout + health.stderr
    assert health.stdout.startswith("ok: database answers")

    help_text = subprocess.run([cli, "--help"], capture_output=True, text=True, env=env, cwd=run_dir, timeout=60)
    assert "serve" in help_text.stdout and "discord" in help_text.stdout  # the platform plugins load
