"""``cos-bot serve`` with no platform settings: the dashboard and the probes alone, for an operator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_serve_without_platform_settings_serves_the_dashboard_and_the_probes(tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", COS_SCHEDULER="false", HOME=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _status(f"http://127.0.0.1:{port}/healthz") == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=5)
            time.sleep(0.2)
        assert _status(f"http://127.0.0.1:{port}/dashboard") == 401
        assert _status(f"http://127.0.0.1:{port}/dashboard/static/dashboard.css") == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "serving the dashboard (/dashboard) and the probes only" in err
    assert proc.returncode == 0
