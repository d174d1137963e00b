"""The deployment files parse, and their probes, ports, secrets and grace periods match the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.kernel.settings import load_settings
from bot.ops.web import PROBE_PATHS, SHUTDOWN_DRAIN_SECONDS

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "kubernetes"


def _documents() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), path
            docs[doc["kind"]] = doc
    return docs


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def _seconds(value: str) -> int:
    m = re.fullmatch(r"(\d+)s", value)
    assert m, value
    return int(m.group(1))


def test_every_manifest_parses_and_kustomize_lists_them() -> None:
    docs = _documents()
    assert {"Deployment", "Service", "PodDisruptionBudget", "Secret", "Kustomization"} <= set(docs)
    listed = set(docs["Kustomization"]["resources"])
    assert listed == {"deployment.yaml", "service.yaml", "pdb.yaml"}  # the Secret is the operator's own
    assert all((K8S / name).is_file() for name in listed)


def test_deployment_probes_ports_secrets_and_grace_match_the_code() -> None:
    docs = _documents()
    deployment = docs["Deployment"]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert spec["replicas"] == 3
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()

    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    settings = load_settings({k: v for k, v in env.items() if v is not None}, dotenv=None)
    # Slack's HTTP server (PORT) and the probe server (COS_HTTP_PORT) are the same port, the probed one.
    assert settings.port == settings.http_port == ports["http"]
    assert container["livenessProbe"]["httpGet"] == {"path": PROBE_PATHS["liveness"], "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": PROBE_PATHS["readiness"], "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == PROBE_PATHS["liveness"]
    annotations = spec["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == PROBE_PATHS["metrics"]
    assert int(annotations["prometheus.io/port"]) == ports["http"]

    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    (secret_ref,) = container["envFrom"]
    secret = docs["Secret"]
    assert secret_ref["secretRef"]["name"] == secret["metadata"]["name"]
    assert "DATABASE_URL" in secret["stringData"] and "DATABASE_URL" not in env  # secrets only in the Secret
    assert not any(k.endswith(("TOKEN", "SECRET")) for k in env)

    grace = pod["terminationGracePeriodSeconds"]
    assert SHUTDOWN_DRAIN_SECONDS <= grace <= SHUTDOWN_DRAIN_SECONDS + 15
    assert pod["securityContext"]["runAsUser"] == int(_image_user())


def test_service_and_budget_select_the_deployments_pods() -> None:
    docs = _documents()
    labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = docs["Service"]["spec"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] == "http"
    budget = docs["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert budget["maxUnavailable"] == 1


def _image_user() -> str:
    users = [
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("USER ")
    ]
    return users[-1]


def test_image_and_compose_serve_the_probes_on_the_probed_port() -> None:
    image = _dockerfile_env()
    assert image["PORT"] == image["COS_HTTP_PORT"] == "3000"
    assert _image_user().isdigit()  # numeric, so runAsNonRoot can check it
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert db["healthcheck"]["test"] and bot["healthcheck"]["test"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    probe = " ".join(bot["healthcheck"]["test"])
    assert f"127.0.0.1:{bot['environment']['COS_HTTP_PORT']}{PROBE_PATHS['readiness']}" in probe
    assert SHUTDOWN_DRAIN_SECONDS <= _seconds(bot["stop_grace_period"]) <= SHUTDOWN_DRAIN_SECONDS + 15
