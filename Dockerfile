# syntax=docker/dockerfile:1
# Build stage: install the bot and its dependencies into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY knowledge ./knowledge
COPY migrations ./migrations
RUN /opt/venv/bin/pip install .

# Run stage: the virtualenv and nothing else, as an unprivileged user.
FROM python:3.11-slim
# PORT: Slack's HTTP server (which also answers the probes); COS_HTTP_PORT: the probes and /metrics when
# Slack's HTTP server is not running (Discord only, Socket Mode, the scheduler alone). Same port either way.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PORT=3000 COS_HTTP_PORT=3000
RUN useradd --create-home --uid 10001 cosbot && mkdir -p /app/data && chown cosbot /app/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["cos-bot", "health"]
CMD ["cos-bot", "run"]
