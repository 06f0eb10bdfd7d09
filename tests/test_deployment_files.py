"""docker-compose.yml and the Dockerfile agree with the CLI and the settings.

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

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stage(name: str) -> str:
    """The Dockerfile lines of one build stage."""
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name}"
    return match.group(1)


REQUIRED_VARIABLE = re.compile(r"^\$\{(\w+):\?[^}]+\}$")


def interpolate(value: str) -> str:
    """Compose's ``${VAR:?message}``: the operator must set VAR; here a test value."""
    match = REQUIRED_VARIABLE.match(value)
    return f"test-value-of-{match.group(1).lower()}-0123456789" if match else value


def settings_of(service: str) -> Settings:
    env = SERVICES[service]["environment"]
    fields = {k.removeprefix("REGULAB_").lower(): interpolate(v) for k, v in env.items()}
    assert all(f in Settings.model_fields for f in fields), fields
    return Settings(**fields)


def test_has_the_four_services_with_healthchecks() -> None:
    assert set(SERVICES) == {"api", "worker", "worker-gpu", "redis", "postgres"}
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name


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


@pytest.mark.parametrize("service", ["api", "worker"])
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


def test_api_and_worker_share_the_artifacts_volume_at_the_configured_path() -> None:
    mounts = []
    for service in ("api", "worker"):
        (volume,) = SERVICES[service]["volumes"]
        name, path = volume.split(":")
        assert Path(path) == settings_of(service).artifacts_root
        mounts.append((name, path))
    assert mounts[0] == mounts[1]
    assert mounts[0][0] in COMPOSE["volumes"]
    assert f"REGULAB_ARTIFACTS_DIR={mounts[0][1]}" in DOCKERFILE


def test_services_start_after_what_they_need_is_healthy() -> None:
    assert SERVICES["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    # The worker waits for the API, which applies the migrations.
    assert SERVICES["worker"]["depends_on"]["api"] == {"condition": "service_healthy"}


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
    assert "REGULAB_API_KEYS" not in SERVICES["worker"]["environment"]


def test_worker_has_a_stop_grace_period_and_a_liveness_healthcheck() -> None:
    worker = SERVICES["worker"]
    args = build_parser().parse_args(worker["command"][1:])
    assert args.liveness_file is not None
    assert str(args.liveness_file) in " ".join(worker["healthcheck"]["test"])
    assert int(worker["stop_grace_period"].rstrip("s")) >= 30
