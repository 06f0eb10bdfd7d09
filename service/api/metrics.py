"""The API's Prometheus metrics (``GET /metrics``): requests by route template, method
and status with latency histograms, measured by an ASGI middleware; and, read from the
store and the broker when scraped, jobs by status and kind, queue depths and webhook
deliveries by outcome. One registry per app, so apps in one process (tests) never share
counters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from celery import Celery
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.tables import Job, WebhookDelivery

#: Request latency buckets, seconds: a prediction answers in about a millisecond, an
#: upload can take seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "regulab_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "regulab_http_request_duration_seconds",
            "Time to the response's start, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


class RequestMetrics:
    """Counts and times each HTTP request under its route's template (``/v1/jobs/{job_id}``,
    never the id itself; ``unmatched`` for a path no route has)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                route = _template(scope)
                self.metrics.latency.labels(route, scope["method"]).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.requests.labels(_template(scope), scope["method"], str(status)).inc()


def _template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class StoreCollector(Collector):
    """What the store and the broker say at scrape time: three small queries."""

    def __init__(self, engine: Engine, celery: Celery, queues: list[str]) -> None:
        self.engine, self.celery, self.queues = engine, celery, queues

    def collect(self) -> Iterator[Metric]:
        yield self._jobs()
        yield self._deliveries()
        yield self._queues()

    def _jobs(self) -> Metric:
        kind = case(
            (Job.sweep_id.is_not(None), "trial"),
            (Job.scores_job_id.is_not(None), "scoring"),
            else_="job",
        )
        family = GaugeMetricFamily(
            "regulab_jobs",
            "Jobs in the store by status and kind (job, scoring, or a sweep's trial).",
            labels=["status", "kind"],
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Job.status, kind, func.count()).group_by(Job.status, kind)
            ).all()
        for status, job_kind, count in rows:
            family.add_metric([status, job_kind], count)
        return family

    def _deliveries(self) -> Metric:
        family = GaugeMetricFamily(
            "regulab_webhook_deliveries",
            "Webhook deliveries in the store by outcome (pending, succeeded, failed).",
            labels=["status"],
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
            ).all()
        for status, count in rows:
            family.add_metric([status], count)
        return family

    def _queues(self) -> Metric:
        family = GaugeMetricFamily(
            "regulab_queue_depth",
            "Messages waiting in each of the broker's queues (-1: the broker did not answer).",
            labels=["queue"],
        )
        depths = queue_depths(self.celery, self.queues)
        for queue in self.queues:
            family.add_metric([queue], depths.get(queue, -1))
        return family


def queue_depths(celery: Celery, queues: list[str]) -> dict[str, int]:
    """Each queue's waiting messages (on RabbitMQ, those ready: not those a worker holds);
    a queue the broker did not answer for is left out.

    Redis and the filesystem are asked without creating the queue: one that does not
    exist has had nothing sent to it. On RabbitMQ a passive declare of a queue that does
    not exist is a channel error, which closes the channel and which the broker logs as
    an error at every scrape; so the queue is declared, as every process declares it
    (``service.rabbitmq.amqp_queue``), which answers the same count.
    """
    depths: dict[str, int] = {}
    try:
        with celery.connection_for_read() as connection:
            channel: Any = connection.default_channel
            amqp = connection.transport.driver_type == "amqp"
            for queue in queues:
                try:
                    if amqp:
                        declared = celery.amqp.queues[queue].bind(channel).queue_declare()
                    else:
                        declared = channel.queue_declare(queue, passive=True)
                    depths[queue] = int(declared.message_count)
                except Exception:
                    if amqp:  # refused (other arguments?): the broker closed the channel
                        channel = connection.channel()
                    else:
                        depths[queue] = 0  # not declared yet: nothing was ever sent to it
    except Exception:
        return {}
    return depths
