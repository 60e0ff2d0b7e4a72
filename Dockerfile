# syntax=docker/dockerfile:1
# One image for every service: `satu-anak serve <subgraph>`, `satu-anak migrate <subgraph>`,
# `satu-anak gateway …` are chosen by the arguments (see k8s/).
#
#   docker build -t satu-anak:dev .
#   docker run --rm -p 8000:8000 satu-anak:dev serve disdukcapil --host 0.0.0.0 --port 8000
ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: resolve the locked dependencies and install the project into /app/.venv ----------
FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, on their own layer: rebuilt only when the runtime lock changes. The lock
# pins every version with its hashes; nothing unpinned is installed.
COPY requirements-runtime.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv /app/.venv && \
    uv pip sync --python /app/.venv/bin/python --require-hashes requirements-runtime.lock

# Then the project itself, as a regular (not editable) install, so the runtime stage needs only
# the virtual environment: no source tree, no uv, no pip.
COPY README.md ./
COPY satu_anak ./satu_anak
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY auth ./auth
COPY observability ./observability
COPY pyproject.toml ./
COPY schema ./schema
RUN --mount=type=cache,target=/root/.cache/uv \
    uv pip install --python /app/.venv/bin/python --no-deps .

# ---- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# Bytecode was compiled at build time; the root filesystem is read-only in Kubernetes.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SATU_ANAK_DATA_DIR=/data

# A fixed numeric UID/GID so Kubernetes' runAsNonRoot can verify it (k8s/ uses 10001 too).
RUN groupadd --system --gid 10001 satu-anak \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin satu-anak \
 && install -d -o 10001 -g 10001 -m 0750 /data

COPY --from=build /app/.venv /app/.venv
# The checked-in SDL, including the composed supergraph the gateway is started from.
COPY --from=build /app/schema /app/schema
# The gateway's settings (`[consent]`, `[audit]`), versioned with the code and the supergraph
# they describe; k8s/base/gateway.yaml starts the gateway with --config /app/config/gateway.toml.
COPY config/gateway.toml /app/config/gateway.toml

WORKDIR /app
USER 10001:10001
# Subgraphs listen on 8000 in a container, the gateway on 4000.
EXPOSE 8000 4000
ENTRYPOINT ["satu-anak"]
CMD ["--help"]
