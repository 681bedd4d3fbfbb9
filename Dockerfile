# A container image of the `mtls` gateway: a static binary on a distroless base.
#
#   docker build -t mtls .
#   docker run --rm -p 8000:8000 -p 8443:8443 -v "$PWD/kong.yaml:/etc/mtls/kong.yaml:ro" mtls
#
# Why this shape:
# - The binary is linked statically against musl (target x86_64-unknown-linux-musl, or
#   aarch64-unknown-linux-musl with --build-arg ARCH=aarch64): it needs no libc in the image.
#   aws-lc-rs (the TLS crypto) builds its C code with musl-gcc; cmake covers its fallback
#   build path.
# - The runtime image is distroless/static: no shell, no package manager, a non-root user
#   (uid 65532), CA certificates for OCSP/CRL fetching over https (`ssl_verify`). Nothing in it
#   but the binary can run.
# - The default command serves the configuration directory /etc/mtls/ (a ConfigMap volume in
#   Kubernetes, see docs/KUBERNETES.md) and reloads it when it changes.

ARG RUST_VERSION=1.88

FROM rust:${RUST_VERSION}-bookworm AS build
ARG ARCH=x86_64
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools cmake \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add ${ARCH}-unknown-linux-musl
WORKDIR /src
COPY . .
ENV CC_x86_64_unknown_linux_musl=musl-gcc \
    CC_aarch64_unknown_linux_musl=musl-gcc \
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static"
RUN cargo build --release --locked -p mtls-examples --bin mtls --target ${ARCH}-unknown-linux-musl \
 && cp target/${ARCH}-unknown-linux-musl/release/mtls /mtls \
 && /mtls --help > /dev/null

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /mtls /usr/local/bin/mtls
# Kong's ports: proxy (http, https) and the Admin API.
EXPOSE 8000 8443 8001
USER nonroot
ENTRYPOINT ["/usr/local/bin/mtls"]
CMD ["serve", "--config", "/etc/mtls/", "--watch"]
