# syntax=docker/dockerfile:1
# Two targets from one source tree:
#   docker build --target api .      the HTTP API: no torch, no scikit-learn
#   docker build --target worker .   the trainers, with PyTorch
# PyTorch: TORCH_INDEX_URL picks the wheel index. Point it at PyTorch's CPU wheel
# index for a small CPU-only image, or at a CUDA one (the default PyPI wheel is
# CUDA-enabled and runs on CPU when the host has no GPU).
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    REGULAB_DATA_DIR=/var/lib/regulab/data
RUN useradd --create-home --uid 1000 regulab \
    && mkdir -p /var/lib/regulab/data \
    && chown -R regulab /var/lib/regulab
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY api_schemas ./api_schemas
COPY regulab_client ./regulab_client
COPY service ./service
COPY workers ./workers

FROM base AS api
RUN pip install ".[api]"
USER regulab
EXPOSE 8000
CMD ["regulab", "api", "--host", "0.0.0.0", "--port", "8000"]

FROM base AS worker
ARG TORCH_VERSION=2.14.1
ARG TORCH_INDEX_URL=""
RUN if [ -n "$TORCH_INDEX_URL" ]; then index="--index-url $TORCH_INDEX_URL"; else index=""; fi \
    && pip install $index "torch==${TORCH_VERSION}" \
    && pip install ".[worker]"
USER regulab
CMD ["regulab", "worker", "--concurrency", "2", "--liveness-file", "/tmp/regulab-worker.alive", "--metrics-port", "9100"]
EXPOSE 9100
