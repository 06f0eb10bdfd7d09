"""docker-compose.yml, its RabbitMQ override and the Dockerfile agree with the CLI and
the settings.

There is no Docker engine here, so these read the files; the end-to-end tests
run the compose services' commands as local processes.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement

from service.cli import build_parser, check_exposure
from service.config import Settings
from service.main import create_app
from service.task_queue import hard_time_limit

ROOT = Path(__file__).resolve().parents[1]
RESET = object()
"""What compose's ``!reset`` tag stands for: the key is dropped from the merged file."""


class ComposeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with compose's ``!reset`` merge tag."""


ComposeLoader.add_constructor("!reset", lambda loader, node: RESET)


def load_compose(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((ROOT / name).read_text(), Loader=ComposeLoader)
    return loaded


COMPOSE = load_compose("docker-compose.yml")
SERVICES: dict[str, Any] = COMPOSE["services"]
RABBITMQ_OVERRIDE = load_compose("docker-compose.rabbitmq.yml")
DOCKERFILE = (ROOT / "Dockerfile").read_text()
#: The services that run regulab: they share the settings and no volume.
REGULAB_SERVICES = ("api", "worker", "worker-gpu")
WORKERS = ("worker", "worker-gpu")


def stage(name: str) -> str:
    """The Dockerfile lines of one build stage."""
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


REQUIRED_VARIABLE = re.compile(r"^\$\{(\w+):\?[^}]+\}$")
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's interpolation: ``${VAR:-default}`` is the default, ``${VAR:?message}``
    (the operator must set VAR) a test value, ``$$`` a literal ``$``."""

    def substitute(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        assert kind, f"${{{name}}} has neither a default nor an error message"
        return rest if kind == "-" else f"test-value-of-{name.lower()}-0123456789"

    return VARIABLE.sub(substitute, value).replace("$$", "$")


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge of a later file into an earlier one: mappings merge key by key,
    sequences append (command, entrypoint and a healthcheck's test are replaced), and
    ``!reset`` drops the key."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            if value is RESET:
                merged.pop(name, None)
            else:
                merged[name] = merge(merged[name], value, name) if name in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if key in ("command", "entrypoint", "test"):
            return override
        return base + [item for item in override if item not in base]
    return override


WITH_RABBITMQ: dict[str, Any] = merge(COMPOSE, RABBITMQ_OVERRIDE)


def environment_of(service: str, services: dict[str, Any] = SERVICES) -> dict[str, str]:
    return {k: interpolate(str(v)) for k, v in services[service].get("environment", {}).items()}


def settings_of(service: str, services: dict[str, Any] = SERVICES) -> Settings:
    """The service's Settings; its other variables may only be the S3 client's AWS_*."""
    env = environment_of(service, services)
    fields: dict[str, Any] = {
        k.removeprefix("REGULAB_").lower(): v for k, v in env.items() if k.startswith("REGULAB_")
    }
    assert all(f in Settings.model_fields for f in fields), fields
    assert all(k.startswith(("REGULAB_", "AWS_")) for k in env), env
    return Settings(**fields)


def test_has_the_services_with_healthchecks() -> None:
    assert set(SERVICES) == {
        "api",
        "worker",
        "worker-gpu",
        "redis",
        "postgres",
        "minio",
        "minio-bucket",
    }
    for name, service in SERVICES.items():
        # The bucket's one-shot exits when done: "healthy" is its exit code 0.
        assert ("healthcheck" in service) == (name != "minio-bucket"), name


@pytest.mark.parametrize("service", ["api", "worker"])
def test_commands_are_valid_cli_invocations(service: str) -> None:
    command = SERVICES[service]["command"]
    assert command[0] == "regulab"
    args = build_parser().parse_args(command[1:])
    assert args.command == service
    assert SERVICES[service]["build"]["target"] == service
    assert f"CMD {str(command).replace(chr(39), chr(34))}" in stage(service)


def test_api_port_is_published_and_probed(tmp_path: Path) -> None:
    api = SERVICES["api"]
    args = build_parser().parse_args(api["command"][1:])
    assert args.host == "0.0.0.0"
    assert api["ports"] == [f"{args.port}:{args.port}"]
    probe = " ".join(api["healthcheck"]["test"])
    url = re.search(r"http://[^'\"]+", probe)
    assert url and urlsplit(url.group()).port == args.port
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    assert urlsplit(url.group()).path in paths
    assert f"EXPOSE {args.port}" in stage("api")


@pytest.mark.parametrize("service", REGULAB_SERVICES)
def test_environment_is_valid_settings_pointing_at_the_compose_services(service: str) -> None:
    settings = settings_of(service)
    database = urlsplit(settings.sqlalchemy_url)
    postgres = SERVICES["postgres"]["environment"]
    assert database.hostname == "postgres"
    assert (database.username, database.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert database.path == f"/{postgres['POSTGRES_DB']}"
    assert urlsplit(settings.broker_url).hostname == "redis"


def test_api_and_workers_share_no_volume() -> None:
    # Files go to the bucket: a named volume would be shared by the API and the
    # workers, or by the replicas of one scaled worker service.
    for service in REGULAB_SERVICES:
        assert "volumes" not in SERVICES[service], service
        assert not settings_of(service).uses_local_storage, service
    assert "artifacts" not in COMPOSE["volumes"]
    assert "ARTIFACTS" not in DOCKERFILE


def test_storage_is_the_minio_bucket_created_before_the_api_and_workers() -> None:
    settings = settings_of("api")
    storage, endpoint = urlsplit(settings.storage), urlsplit(settings.s3_endpoint_url or "")
    assert storage.scheme == "s3" and storage.netloc and storage.path.strip("/")
    assert endpoint.hostname and endpoint.port == 9000  # MinIO's S3 API, without --address
    minio = SERVICES[endpoint.hostname]
    assert minio["image"].startswith("minio/minio")
    assert minio["command"][:2] == ["server", "/data"] and "--address" not in minio["command"]
    ((volume, path),) = (mount.split(":") for mount in minio["volumes"])
    assert path == "/data" and volume in COMPOSE["volumes"]
    root = environment_of(endpoint.hostname)
    for service in REGULAB_SERVICES:
        env = environment_of(service)
        assert settings_of(service).storage == settings.storage
        assert settings_of(service).s3_endpoint_url == settings.s3_endpoint_url
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
            root["MINIO_ROOT_USER"],
            root["MINIO_ROOT_PASSWORD"],
        )
        assert SERVICES[service]["depends_on"]["minio-bucket"] == {
            "condition": "service_completed_successfully"
        }
    assert len(root["MINIO_ROOT_PASSWORD"]) >= 8  # MinIO refuses to start with less

    bucket = SERVICES["minio-bucket"]
    assert bucket["image"].startswith("minio/mc")
    assert bucket["depends_on"] == {endpoint.hostname: {"condition": "service_healthy"}}
    script = " ".join(interpolate(part) for part in bucket["entrypoint"] + bucket["command"])
    mc_env = environment_of("minio-bucket")
    alias = re.search(r"mc alias set (\S+) (\S+) \"\$(\w+)\" \"\$(\w+)\"", script)
    assert alias, script
    assert alias.group(2) == settings.s3_endpoint_url
    assert (mc_env[alias.group(3)], mc_env[alias.group(4)]) == (
        root["MINIO_ROOT_USER"],
        root["MINIO_ROOT_PASSWORD"],
    )
    assert re.search(rf"mc mb --ignore-existing {alias.group(1)}/{storage.netloc}(\s|$)", script)


@pytest.mark.parametrize("service", WORKERS)
def test_workers_can_be_scaled(service: str) -> None:
    # docker compose up --scale worker=3: one name or one host port cannot be three.
    worker = SERVICES[service]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "hostname" not in worker


def test_services_start_after_what_they_need_is_healthy() -> None:
    assert SERVICES["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "minio-bucket": {"condition": "service_completed_successfully"},
    }
    # The workers wait for the API, which applies the migrations.
    for service in WORKERS:
        assert SERVICES[service]["depends_on"]["api"] == {"condition": "service_healthy"}


def test_rabbitmq_override_points_every_process_at_rabbitmq_instead_of_redis() -> None:
    services = WITH_RABBITMQ["services"]
    rabbitmq = services["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:")
    assert rabbitmq["healthcheck"]["test"] == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]
    account = environment_of("rabbitmq", services)
    for service in REGULAB_SERVICES:
        settings = settings_of(service, services)
        broker = urlsplit(settings.broker_url)
        assert settings.uses_amqp_broker, service
        assert (broker.hostname, broker.port) == ("rabbitmq", 5672)
        assert (broker.username, broker.password) == (
            account["RABBITMQ_DEFAULT_USER"],
            account["RABBITMQ_DEFAULT_PASS"],
        )
        assert broker.path == f"/{account['RABBITMQ_DEFAULT_VHOST']}"
        # Everything else is as without the override.
        assert settings.model_copy(update={"broker_url": settings_of(service).broker_url}) == (
            settings_of(service)
        )
        assert services[service]["command"] == SERVICES[service]["command"]
        depends_on = services[service]["depends_on"]
        assert depends_on["rabbitmq"] == {"condition": "service_healthy"}
        assert "redis" not in depends_on
    # Nothing needs Redis any more: it starts only with a profile nobody enables.
    assert services["redis"]["profiles"]
    assert not any("redis" in s.get("depends_on", {}) for s in services.values())


def test_rabbitmq_keeps_a_channel_open_for_longer_than_the_longest_job() -> None:
    (config,) = WITH_RABBITMQ["services"]["rabbitmq"]["configs"]
    assert re.fullmatch(r"/etc/rabbitmq/conf\.d/[\w.-]+\.conf", config["target"])
    content = WITH_RABBITMQ["configs"][config["source"]]["content"]
    timeout = re.search(r"^consumer_timeout\s*=\s*(\d+)$", content, re.M)
    assert timeout, content
    for service in REGULAB_SERVICES:
        settings = settings_of(service, WITH_RABBITMQ["services"])
        # A late-acked message is held until the job ends; Celery's hard limit ends it.
        assert int(timeout.group(1)) / 1000 > hard_time_limit(settings)


def test_api_image_has_no_torch_and_the_worker_image_has_the_pinned_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    api = stage("api")
    assert '".[api]"' in api and "torch" not in api and "worker" not in api
    assert not any("torch" in dep or "scikit" in dep for dep in extras["api"] + extras["core"])
    worker = stage("worker")
    assert '".[worker]"' in worker
    pins = dict(
        line.split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert f"ARG TORCH_VERSION={pins['torch']}" in worker
    for dep in extras["worker"] + extras["dev"]:
        requirement = Requirement(dep)
        if requirement.name in pins:  # what CI installs satisfies the project
            assert requirement.specifier.contains(pins[requirement.name]), dep


def test_every_package_is_copied_into_the_image() -> None:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    for package in packages:
        name = package.rstrip("*")
        assert f"COPY {name} ./{name}" in stage("base")


def test_compose_turns_api_keys_on_and_refuses_to_start_without_them() -> None:
    value = SERVICES["api"]["environment"]["REGULAB_API_KEYS"]
    assert REQUIRED_VARIABLE.match(value), "the operator must supply the keys"
    host = build_parser().parse_args(SERVICES["api"]["command"][1:]).host
    settings = settings_of("api").model_copy(update={"host": host})
    assert settings.api_key_list and not settings.binds_loopback_only
    check_exposure(settings)  # would raise OpenBindError without the keys
    for service in WORKERS:
        assert "REGULAB_API_KEYS" not in SERVICES[service]["environment"]


@pytest.mark.parametrize("service", WORKERS)
def test_worker_has_a_stop_grace_period_and_a_liveness_healthcheck(service: str) -> None:
    worker = SERVICES[service]
    args = build_parser().parse_args(worker["command"][1:])
    assert args.liveness_file is not None
    assert str(args.liveness_file) in " ".join(worker["healthcheck"]["test"])
    assert int(worker["stop_grace_period"].rstrip("s")) >= 30
