# syntax=docker/dockerfile:1
# One Dockerfile for every image of the platform, built from the repository root:
#   docker build --build-arg SERVICE=chat-server -t sunsu/chat-server:dev .
#   docker build --build-arg SERVICE=dispatcher  -t sunsu/dispatcher:dev .
#   docker build --build-arg SERVICE=syncer      -t sunsu/syncer:dev .
#   docker build --build-arg SERVICE=operator    -t sunsu/chat-operator:dev .
# TypeScript runs as is on Node 24 (type stripping): no compile step, the image holds the sources of the workspace,
# the packages/ it links to, production dependencies only, and the web client bundle (served by chat-server).
# NODE_IMAGE is the official Node image wherever a registry is reachable; infra/images.sh passes a base image built
# locally (the Node 24 binary from the npm package, npm, a busybox shell) on machines without a registry.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ── Workspace manifests only: the dependency layers below are rebuilt only when a dependency changes ──────────────
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/archive/package.json packages/archive/
COPY packages/auth/package.json packages/auth/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/db/package.json packages/db/
COPY packages/kafka/package.json packages/kafka/
COPY packages/observability/package.json packages/observability/
COPY packages/redis/package.json packages/redis/
COPY packages/room-state/package.json packages/room-state/
COPY packages/routing/package.json packages/routing/
COPY packages/stomp/package.json packages/stomp/
COPY packages/testkit/package.json packages/testkit/
COPY services/chat-server/package.json services/chat-server/
COPY services/dispatcher/package.json services/dispatcher/
COPY services/syncer/package.json services/syncer/
COPY operator/package.json operator/
COPY web/package.json web/
COPY e2e/package.json e2e/
COPY bench/package.json bench/

# Production dependencies of the four deployables (one layer shared by every image built from this file).
FROM manifests AS prod-deps
# Behind a TLS-inspecting proxy the builder mounts its CA bundle and names it in these two (a path, never a
# secret; build arguments are per stage): Node reads the first, npm's own HTTP agent the second.
ARG NODE_EXTRA_CA_CERTS
ARG npm_config_cafile
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
      --workspace=@sunsu/chat-server --workspace=@sunsu/dispatcher --workspace=@sunsu/syncer --workspace=@sunsu/operator \
 && rm -rf /root/.npm

# The browser client: bundled here so every image is complete without a build on the host.
FROM manifests AS web
ARG NODE_EXTRA_CA_CERTS
ARG npm_config_cafile
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --workspace=@sunsu/web && rm -rf /root/.npm
COPY web web
RUN node web/src/build.ts

# ── The image: one workspace, chosen by SERVICE ────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
# The layers every image shares come first, before any build argument, so they are built and stored once.
COPY --from=prod-deps /app/package.json /app/package.json
COPY --from=prod-deps /app/node_modules /app/node_modules
COPY packages /app/packages
COPY --from=web /app/web/public /app/web/public
# chat-server | dispatcher | syncer | operator
ARG SERVICE=chat-server
ARG SERVICE_DIR=services/${SERVICE}
# The HTTP port of the workspace (health, metrics; chat-server's public API): 8080, 9091, 9092 or 8081.
ARG PORT=8080
COPY ${SERVICE_DIR} /app/${SERVICE_DIR}
# Each service reads only its own *_HOST variable; inside a container they listen on every interface.
ENV NODE_ENV=production \
    CHAT_ENV=production \
    CHAT_HTTP_HOST=0.0.0.0 \
    CHAT_DISPATCHER_HTTP_HOST=0.0.0.0 \
    CHAT_SYNCER_HTTP_HOST=0.0.0.0 \
    OPERATOR_HTTP_HOST=0.0.0.0 \
    CHAT_UPLOAD_DIR=/data/uploads \
    SUNSU_HEALTH_PORT=${PORT}
WORKDIR /app/${SERVICE_DIR}
# Non-root by number (runAsNonRoot can verify it). Nothing writes under /app, so the root filesystem can be
# read-only, with /tmp (and for chat-server /data/uploads) mounted as volumes.
USER 10001:10001
EXPOSE ${PORT}
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.SUNSU_HEALTH_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "src/main.ts"]
