# syntax=docker/dockerfile:1
# Tollgate's image: a static binary built in a Go stage, run as a non-root
# user in distroless/static (no shell, no libc, CA certificates and tzdata
# only). Build from the repository root:
#   docker build -t tollgate .
# or with Redis: docker compose -f cmd/tollgate/compose.yaml up --build

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only the packages the service is built from; cmd/tollgate imports no
# other command.
COPY cmd/tollgate ./cmd/tollgate
COPY handlers ./handlers
COPY web ./web
COPY risk ./risk
COPY contactflows ./contactflows
COPY static ./static
# CGO_ENABLED=0: no libc, so the binary runs on an image without one;
# -trimpath drops this machine's paths; -s -w drops the symbol tables.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/tollgate ./cmd/tollgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tollgate /tollgate
ENV TOLLGATE_ADDR=:8080 \
    TOLLGATE_LOG_FORMAT=json
EXPOSE 8080
# 65532 is distroless's nonroot user; numeric, so a runtime enforcing
# runAsNonRoot can see it is not root.
USER 65532:65532
# The binary checks itself: distroless has no shell or curl. It GETs
# /healthz on TOLLGATE_ADDR's port (liveness: a Redis outage is not cured
# by a restart); -ready would ask /readyz instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/tollgate", "healthcheck"]
ENTRYPOINT ["/tollgate"]
