"""compose.yaml, the scaled-out setup, checked without running it: it parses, every reference
(service, secret, volume, config) is defined, every IDV_ variable is a setting, the app's services
run the image with a role container/start.py knows, and web and worker scale with --scale."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from container.start import ROLES
from identity_app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
TOP_LEVEL = {"name", "services", "volumes", "secrets", "configs", "networks"}
SERVICE_KEYS = {"image", "build", "command", "entrypoint", "environment", "volumes", "secrets", "configs",
                "depends_on", "ports", "expose", "restart", "healthcheck"}
APP_SERVICES = {"migrate", "web", "worker"}


def test_top_level_and_service_keys_are_compose_keys():
    assert {k for k in COMPOSE if not k.startswith("x-")} <= TOP_LEVEL  # x-: extension fields (anchors)
    assert {"postgres", "redis", "minio", "proxy", *APP_SERVICES} <= set(SERVICES)
    for name, svc in SERVICES.items():
        assert set(svc) <= SERVICE_KEYS, (name, set(svc) - SERVICE_KEYS)
        assert "image" in svc, name
        assert svc.get("restart", "no") in ("no", "always", "on-failure", "unless-stopped"), name


def test_every_reference_is_defined():
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, svc in SERVICES.items():
        deps = svc.get("depends_on", {})
        for dep, how in (deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps)):
            assert dep in SERVICES and dep != name, (name, dep)
            assert how.get("condition", "service_started") in conditions
            if how.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[dep], dep
        for secret in svc.get("secrets", []):
            assert secret in COMPOSE["secrets"], (name, secret)
        for config in svc.get("configs", []):
            assert config["source"] in COMPOSE["configs"], (name, config)
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith((".", "/")) or source in COMPOSE["volumes"], (name, volume)


def test_the_app_services_run_the_image_with_a_role_and_real_settings():
    fields = {f"IDV_{name.upper()}" for name in Settings.model_fields}
    for name in APP_SERVICES:
        svc = SERVICES[name]
        assert svc["image"].startswith("localhost/identity-app") and svc["build"]["dockerfile"] == "Containerfile"
        assert svc["command"][0] in ROLES
        env = svc["environment"]
        assert {k for k in env if k.startswith("IDV_")} <= fields, {k for k in env if k.startswith("IDV_")} - fields
        # Scaled out: nothing in the container's own files (PostgreSQL, S3, Redis for queue and UI state).
        assert env["IDV_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["IDV_MEDIA_BACKEND"] == "s3" and env["IDV_QUEUE_URL"].startswith("redis://")
        assert env["REFLEX_REDIS_URL"].startswith("redis://")
        assert env["IDV_SECRET_KEY_FILE"] == "/run/secrets/" + svc["secrets"][0]
    # web and worker scale (--scale): no fixed container name, no published port; one proxy publishes it.
    for name in ("web", "worker"):
        assert "container_name" not in SERVICES[name] and "ports" not in SERVICES[name]
    assert [p.split(":")[-1] for p in SERVICES["proxy"]["ports"]] == ["3000"]
    nginx = COMPOSE["configs"]["nginx"]["content"]
    # Any request to any web container: frames and live feedback go through Redis (frame_service.py).
    assert "upstream web { server web:3000; }" in nginx and "hash" not in nginx


def test_passwords_come_from_the_environment_not_the_file():
    text = (ROOT / "compose.yaml").read_text()
    assert re.findall(r"POSTGRES_PASSWORD: (.+)", text) == ["${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"]
    assert "${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD}" in text
