"""deploy/kubernetes/ agrees with the CLI, the settings, the API's routes and
docker-compose.yml.

No cluster here: these read the manifests (and build them with ``kubectl kustomize``
where kubectl is installed).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from service.cli import build_parser, check_exposure, worker_pool
from service.config import Settings
from service.main import create_app

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
KUSTOMIZATIONS = sorted(KUBERNETES.rglob("kustomization.yaml"))
MANIFESTS = sorted(set(KUBERNETES.rglob("*.yaml")) - set(KUSTOMIZATIONS))
#: Each manifest's objects.
SOURCES: dict[Path, list[dict[str, Any]]] = {
    path: [document for document in yaml.safe_load_all(path.read_text()) if document]
    for path in MANIFESTS
}
OBJECTS = [manifest for manifests in SOURCES.values() for manifest in manifests]
#: What secret.yaml holds in place of every secret value.
PLACEHOLDER = "CHANGE-ME"
#: The image each command runs in: the Dockerfile's targets.
IMAGES = {"api": "regulab-api", "worker": "regulab-worker"}


def objects(kind: str) -> list[dict[str, Any]]:
    return [o for o in OBJECTS if o["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = (o for o in objects(kind) if o["metadata"]["name"] == name)
    return found


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any]
    (container,) = pod_spec(deployment)["containers"]
    return container


def cli_args(container: dict[str, Any]) -> argparse.Namespace:
    """The container's command, parsed as ``regulab`` parses it (SystemExit if invalid)."""
    command = container["command"]
    assert command[0] == "regulab", command
    assert "args" not in container
    return build_parser().parse_args(command[1:])


def deployment_running(command: str, queues: str | None = None) -> dict[str, Any]:
    """The one Deployment whose container runs ``regulab <command>`` (with --queues)."""
    (found,) = (
        d
        for d in objects("Deployment")
        if cli_args(main_container(d)).command == command
        and getattr(cli_args(main_container(d)), "queues", None) == queues
    )
    return found


def environment(container: dict[str, Any]) -> dict[str, str]:
    """The variables the container gets from its envFrom and env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(named("ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            env.update(named("Secret", source["secretRef"]["name"])["stringData"])
    for variable in container.get("env", []):
        reference = variable.get("valueFrom", {}).get("secretKeyRef")
        if reference:
            env[variable["name"]] = named("Secret", reference["name"])["stringData"][
                reference["key"]
            ]
        else:
            env[variable["name"]] = variable["value"]
    return env


def settings_of(container: dict[str, Any]) -> Settings:
    """The container's Settings, with the secrets' placeholders filled in as an operator
    would; its other variables may only be the S3 client's AWS_*."""
    env = environment(container)
    assert all(k.startswith(("REGULAB_", "AWS_")) for k in env), env
    fields: dict[str, Any] = {
        k.removeprefix("REGULAB_").lower(): f"test-value-of-{k.lower()}" if v == PLACEHOLDER else v
        for k, v in env.items()
        if k.startswith("REGULAB_")
    }
    assert all(f in Settings.model_fields for f in fields), fields
    return Settings(**fields)


API = deployment_running("api")
WORKER = deployment_running("worker")
GPU_WORKER = deployment_running("worker", Settings().gpu_queue)
WORKERS = {"worker": WORKER, "worker-gpu": GPU_WORKER}


def container_port(deployment: dict[str, Any], port: int | str) -> int:
    """A probe's or a Service's port (a number or a container port's name) as a number
    the container declares."""
    ports = {p["name"]: p["containerPort"] for p in main_container(deployment)["ports"]}
    number = ports[port] if isinstance(port, str) else port
    assert number in ports.values(), (port, ports)
    return number


def selected(selector: dict[str, str]) -> list[str]:
    """The Deployments whose pods the label selector matches, by name."""
    return sorted(
        d["metadata"]["name"]
        for d in objects("Deployment")
        if selector.items() <= pod_labels(d).items()
    )


def name_of(deployment: dict[str, Any]) -> str:
    name: str = deployment["metadata"]["name"]
    return name


def bytes_of(quantity: str | int) -> int:
    """A Kubernetes quantity of bytes: 8Gi, 512Mi, 2G or a plain number."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6}
    units |= {"G": 10**9, "T": 10**12, "": 1}
    match = re.fullmatch(r"(\d+)([KMGT]i|[kMGT])?", str(quantity))
    assert match, quantity
    return int(match.group(1)) * units[match.group(2) or ""]


def test_every_object_is_named_and_in_the_namespace() -> None:
    (namespace,) = objects("Namespace")
    for manifest in OBJECTS:
        assert manifest["apiVersion"] and manifest["metadata"]["name"], manifest
        if manifest is not namespace:
            assert manifest["metadata"]["namespace"] == namespace["metadata"]["name"], manifest


def test_kustomizations_list_every_manifest_and_every_image() -> None:
    listed: set[Path] = set()
    root = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    root_text = (KUBERNETES / "kustomization.yaml").read_text()
    for path in KUSTOMIZATIONS:
        kustomization = yaml.safe_load(path.read_text())
        for resource in kustomization["resources"]:
            assert (path.parent / resource).is_file(), (path, resource)
            listed.add((path.parent / resource).resolve())
        if kustomization["kind"] == "Component":
            # Named in the root's components:, on or commented out.
            name = path.parent.relative_to(KUBERNETES)
            assert re.search(rf"^#?\s*-\s*{name}\s*$", root_text, re.M), name
    assert listed == {path.resolve() for path in MANIFESTS}
    assert root["namespace"] == objects("Namespace")[0]["metadata"]["name"]
    images = {
        container["image"]
        for deployment in objects("Deployment")
        for container in pod_spec(deployment)["containers"]
        + pod_spec(deployment).get("initContainers", [])
    }
    assert {image["name"] for image in root["images"]} == images


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("with_components", [False, True])
def test_kustomize_builds_it(tmp_path: Path, with_components: bool) -> None:
    tree = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, tree)
    if with_components:
        kustomization = tree / "kustomization.yaml"
        text = re.sub(
            r"^# (components:)\n#(\s+- )", r"\1\n\2", kustomization.read_text(), flags=re.M
        )
        kustomization.write_text(text)
    built = subprocess.run(
        ["kubectl", "kustomize", str(tree)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    documents = [d for d in yaml.safe_load_all(built) if d]
    root = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    base = [
        manifest for resource in root["resources"] for manifest in SOURCES[KUBERNETES / resource]
    ]
    expected = OBJECTS if with_components or "components" in root else base
    assert sorted((d["kind"], d["metadata"]["name"]) for d in documents) == sorted(
        (o["kind"], o["metadata"]["name"]) for o in expected
    )
    pushed = {f"{image['newName']}:{image['newTag']}" for image in root["images"]}
    for document in documents:
        if document["kind"] == "Deployment":
            spec = pod_spec(document)
            for container in spec["containers"] + spec.get("initContainers", []):
                assert container["image"] in pushed


@pytest.mark.parametrize("service", ["api", "worker", "worker-gpu"])
def test_commands_are_the_compose_services_valid_cli_invocations(service: str) -> None:
    deployment = API if service == "api" else WORKERS[service]
    container = main_container(deployment)
    args = cli_args(container)
    assert container["command"] == COMPOSE[service]["command"]
    assert container["image"] == IMAGES[args.command]
    for init in pod_spec(deployment).get("initContainers", []):
        cli_args(init)
        assert init["image"] == container["image"]  # the same release's migrations


def test_configmaps_and_secrets_are_settings_or_the_autoscalers() -> None:
    containers = [
        container
        for deployment in objects("Deployment")
        for container in pod_spec(deployment)["containers"]
        + pod_spec(deployment).get("initContainers", [])
    ]
    read = {
        (kind, source[reference]["name"])
        for container in containers
        for source in container.get("envFrom", [])
        for kind, reference in (("ConfigMap", "configMapRef"), ("Secret", "secretRef"))
        if reference in source
    }
    authenticated = {
        ("Secret", target["name"])
        for authentication in objects("TriggerAuthentication")
        for target in authentication["spec"]["secretTargetRef"]
    }
    for source in objects("ConfigMap") + objects("Secret"):
        identity = (source["kind"], source["metadata"]["name"])
        assert identity in read | authenticated, f"{identity} is used by nothing"
        if identity in read:
            for key in source.get("data") or source["stringData"]:
                if key.startswith("REGULAB_"):
                    assert key.removeprefix("REGULAB_").lower() in Settings.model_fields, key
                else:
                    assert key.startswith("AWS_"), key
    for secret in objects("Secret"):
        assert "data" not in secret, "stringData, so the placeholders can be read"
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"{key} must be a marked placeholder"


@pytest.mark.parametrize("service", ["api", "worker", "worker-gpu"])
def test_every_process_gets_the_shared_store_broker_and_bucket(service: str) -> None:
    deployment = API if service == "api" else WORKERS[service]
    for container in pod_spec(deployment)["containers"] + pod_spec(deployment).get(
        "initContainers", []
    ):
        settings = settings_of(container)
        assert urlsplit(settings.sqlalchemy_url).scheme == "postgresql+psycopg"
        assert not settings.uses_filesystem_broker
        assert urlsplit(settings.storage).scheme == "s3" and not settings.uses_local_storage
        env = environment(container)
        assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= env.keys()
        # Only the API checks keys: the workers never get them.
        assert ("REGULAB_API_KEYS" in env) == (
            service == "api" and container is main_container(API)
        )


def test_api_refuses_to_start_with_the_placeholder_key() -> None:
    container = main_container(API)
    keys = environment(container)["REGULAB_API_KEYS"]
    with pytest.raises(ValidationError, match="16 characters"):
        Settings(api_keys=keys)
    args = cli_args(container)
    settings = settings_of(container).model_copy(update={"host": args.host})
    assert settings.api_key_list and not settings.binds_loopback_only
    check_exposure(settings)  # would raise OpenBindError without keys


def test_api_probes_are_routes_on_the_served_port(tmp_path: Path) -> None:
    container = main_container(API)
    args = cli_args(container)
    assert args.host == "0.0.0.0"
    paths = create_app(Settings(data_dir=tmp_path)).openapi()["paths"]
    probes = {name: container[name]["httpGet"] for name in container if name.endswith("Probe")}
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe in probes.values():
        assert probe["path"] in paths
        assert container_port(API, probe["port"]) == args.port
    annotations = API["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] in paths
    assert int(annotations["prometheus.io/port"]) == args.port


def test_api_service_selects_the_api_pods_and_targets_the_served_port() -> None:
    args = cli_args(main_container(API))
    (service,) = (s for s in objects("Service") if s["spec"].get("clusterIP") != "None")
    selector = service["spec"]["selector"]
    assert selected(selector) == [name_of(API)]
    (port,) = service["spec"]["ports"]
    assert container_port(API, port["targetPort"]) == args.port


@pytest.mark.parametrize("service", ["worker", "worker-gpu"])
def test_worker_probes_the_liveness_file_and_serves_metrics(service: str) -> None:
    deployment = WORKERS[service]
    container = main_container(deployment)
    args = cli_args(container)
    probe = container["livenessProbe"]
    # The compose healthcheck's command, run by the kubelet.
    assert probe["exec"]["command"] == COMPOSE[service]["healthcheck"]["test"][1:]
    script = probe["exec"]["command"][-1]
    assert f"'{args.liveness_file}'" in script
    max_age = re.search(r"> (\d+)\)", script)
    assert max_age and float(max_age.group(1)) > 2 * settings_of(container).reaper_interval_seconds
    assert probe["periodSeconds"] < float(max_age.group(1))
    assert container_port(deployment, "metrics") == args.metrics_port
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == args.metrics_port
    grace = int(COMPOSE[service]["stop_grace_period"].rstrip("s"))
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] == grace


def test_metrics_service_finds_every_worker_pod_and_no_api_pod() -> None:
    (service,) = (s for s in objects("Service") if s["spec"].get("clusterIP") == "None")
    selector = service["spec"]["selector"]
    assert selected(selector) == sorted(map(name_of, (WORKER, GPU_WORKER)))
    (port,) = service["spec"]["ports"]
    for deployment in (WORKER, GPU_WORKER):
        args = cli_args(main_container(deployment))
        assert container_port(deployment, port["targetPort"]) == args.metrics_port


def test_deployments_select_their_own_pods_only() -> None:
    for deployment in objects("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selected(selector) == [name_of(deployment)]


@pytest.mark.parametrize("service", ["api", "worker", "worker-gpu"])
def test_pods_share_no_volume(service: str) -> None:
    # Files go to the bucket; the data dir (a worker's dataset cache) is the pod's own.
    deployment = API if service == "api" else WORKERS[service]
    volumes = {v["name"]: v for v in pod_spec(deployment).get("volumes", [])}
    assert all(set(v) == {"name", "emptyDir"} for v in volumes.values()), volumes
    container = main_container(deployment)
    settings = settings_of(container)
    mounts = {Path(m["mountPath"]): m["name"] for m in container["volumeMounts"]}
    data = volumes[mounts[settings.data_dir]]["emptyDir"]
    if service != "api":
        # A cache that fills up must not get the pod evicted.
        assert bytes_of(data["sizeLimit"]) > settings.dataset_cache_bytes


@pytest.mark.parametrize("service", ["worker", "worker-gpu"])
def test_worker_memory_holds_its_jobs(service: str) -> None:
    container = main_container(WORKERS[service])
    args, settings = cli_args(container), settings_of(container)
    pool = worker_pool(settings, args.queues or settings.queue, args.pool)
    processes = args.concurrency if pool == "prefork" else 1
    limit = bytes_of(container["resources"]["limits"]["memory"])
    assert limit > processes * settings.max_job_memory_bytes


def test_gpu_worker_serves_the_gpu_queue_on_one_gpu() -> None:
    container = main_container(GPU_WORKER)
    args, settings = cli_args(container), settings_of(container)
    assert args.queues == settings.gpu_queue
    assert worker_pool(settings, args.queues, args.pool) == "solo"
    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) == 1
    assert "nvidia.com/gpu" not in main_container(WORKER)["resources"]["limits"]


def test_autoscaler_scales_the_worker_on_the_job_queue() -> None:
    (scaled,) = objects("ScaledObject")
    target = scaled["spec"]["scaleTargetRef"]
    assert target.get("kind", "Deployment") == "Deployment"
    assert named("Deployment", target["name"]) is WORKER
    # A replica count in the manifest would undo the autoscaler's at every apply.
    assert "replicas" not in WORKER["spec"]
    assert scaled["spec"]["minReplicaCount"] >= 1  # the reapers re-queue lost jobs
    container = main_container(WORKER)
    args, settings = cli_args(container), settings_of(container)
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"]["queueName"] == settings.queue == Settings().queue
    assert trigger["metadata"]["mode"] == "QueueLength"
    assert int(trigger["metadata"]["value"]) == args.concurrency
    # The management API of the broker's RabbitMQ: the same host, user and vhost.
    assert trigger["metadata"]["protocol"] == "http"
    authentication = named("TriggerAuthentication", trigger["authenticationRef"]["name"])
    (host,) = authentication["spec"]["secretTargetRef"]
    assert host["parameter"] == "host"
    management = urlsplit(named("Secret", host["name"])["stringData"][host["key"]])
    broker = urlsplit(settings.broker_url)
    assert settings.uses_amqp_broker and management.scheme == "http"
    assert (management.hostname, management.username, management.path) == (
        broker.hostname,
        broker.username,
        broker.path,
    )
