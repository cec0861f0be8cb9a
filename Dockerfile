# syntax=docker/dockerfile:1
#
# autoorder container image.
#
#   docker build -t autoorder:0.1.0 .
#   docker run --rm autoorder:0.1.0 --version
#
# Two stages: a Rust builder (Debian bookworm) and a slim Debian runtime that holds only the
# binary, conf/log4rs.yaml, the PostgreSQL client library and tools, and CA certificates.
# See docs/DEPLOYMENT.md.

ARG RUST_VERSION=1.95
ARG DEBIAN_SUITE=bookworm

# ---------------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_SUITE} AS builder

# diesel's PostgreSQL backend links libpq (pq-sys finds it with pkg-config / pg_config);
# SQLite is bundled and compiled with gcc. Debian package versions are not pinned (DL3008):
# the suite's security updates replace them, and a pinned version would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /build
ENV CARGO_TERM_COLOR=never

# 1. Dependencies only, in their own layer: the workspace manifests and the lock file, with
#    empty sources for every member (".", actors, schema, tests/doubles). This layer is
#    rebuilt only when a Cargo.toml or Cargo.lock changes.
#    Afterwards the placeholder workspace crates are cleaned: COPY keeps the files'
#    modification times, which can be older than this build, so cargo could otherwise take
#    the placeholders for up to date and ship an empty binary.
COPY Cargo.toml Cargo.lock ./
COPY actors/Cargo.toml actors/Cargo.toml
COPY schema/Cargo.toml schema/Cargo.toml
COPY tests/doubles/Cargo.toml tests/doubles/Cargo.toml
RUN mkdir -p src actors/src schema/src tests/doubles/src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs actors/src/lib.rs schema/src/lib.rs tests/doubles/src/lib.rs \
 && cargo build --release --locked -p autoorder \
 && cargo clean --release -p autoorder -p autoorder-actors -p autoorder-schema -p autoorder-doubles

# 2. The real sources. `schema` embeds migrations/ at compile time
#    (embed_migrations!("../migrations/…")), so they come first.
COPY migrations migrations
COPY schema/src schema/src
COPY actors/src actors/src
COPY actors/assets actors/assets
COPY tests/doubles/src tests/doubles/src
COPY src src
RUN cargo build --release --locked -p autoorder \
 && install -D -m 0755 target/release/autoorder /out/autoorder \
 && /out/autoorder --version

# ---------------------------------------------------------------------------------------------
# Runtime
# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE}-slim AS runtime

ARG DEBIAN_SUITE
# Major version of the PostgreSQL client tools (pg_dump / pg_restore for backups). pg_dump
# refuses to dump a server newer than itself, so this must be >= the server's major version;
# it comes from the PostgreSQL project's apt repository (apt.postgresql.org), because
# bookworm itself only ships 15. Newer pg_dump reads older servers fine.
ARG PG_CLIENT_MAJOR=17

# Signing key of apt.postgresql.org (https://www.postgresql.org/download/linux/debian/).
ADD https://www.postgresql.org/media/keys/ACCC4CF8.asc /usr/share/keyrings/apt.postgresql.org.asc

# Install libpq and the client tools from that repository, then create an unprivileged user,
# uid/gid 10001 (the Kubernetes manifests refer to these numbers). /data and /logs become volumes below; /backups is not a VOLUME, but compose mounts one there
# (BACKUP_LOCAL_DIR=/backups): creating it owned by the user makes a fresh named volume start
# out writable.
# hadolint ignore=DL3008
RUN set -eux \
 && chmod 0644 /usr/share/keyrings/apt.postgresql.org.asc \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && echo "deb [signed-by=/usr/share/keyrings/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${DEBIAN_SUITE}-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      libpq5 \
      "postgresql-client-${PG_CLIENT_MAJOR}" \
 && rm -rf /var/lib/apt/lists/* \
 && pg_dump --version \
 && groupadd --system --gid 10001 autoorder \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin autoorder \
 && mkdir -p /app/conf /data /logs /backups \
 && chown autoorder:autoorder /data /logs /backups

COPY --from=builder /out/autoorder /usr/local/bin/autoorder
COPY conf/log4rs.yaml /app/conf/log4rs.yaml
# Fails the build when a shared library is missing.
RUN ["autoorder", "--version"]

# The binary looks for conf/log4rs.yaml relative to the working directory.
WORKDIR /app
ENV DATA_DIR=/data \
    LOG_DIR=/logs \
    HTTP_ADDR=0.0.0.0:8080

USER 10001:10001
VOLUME ["/data", "/logs"]
EXPOSE 8080

# `autoorder healthcheck` exits 0 ok, 1 degraded (Telegram unreachable, migrations pending),
# 2 failing (database unreachable, bad configuration). Docker reserves exit code 2 for health
# checks, and a restart cures neither a Telegram outage nor a wrong token, so degraded counts
# as healthy here and failing is reported as unhealthy (1). The Telegram probe alone may take
# 10 s, hence the timeout.
HEALTHCHECK --interval=30s --timeout=20s --start-period=60s --retries=3 \
  CMD ["/bin/sh", "-c", "autoorder healthcheck >/dev/null 2>&1; [ $? -le 1 ] || exit 1"]

# `autoorder run` stops gracefully on SIGTERM within about 25 s (give it 30 s:
# `docker stop -t 30`, compose stop_grace_period: 30s). Exit code 70 means the actor tree
# escalated and the process wants to be restarted (restart policy).
STOPSIGNAL SIGTERM
ENTRYPOINT ["autoorder"]
CMD ["run"]
