# gdpr-operator: `gdpr-operator run` on a slim Python 3.11, as a non-root user, with no pip.
# Every dependency comes from a hashed lock (scripts/lock-requirements): the runtime ones
# from requirements.lock, the wheel's build tools from requirements-build.lock. The AWS
# sandbox stays out (.dockerignore): it needs the sandbox extra (moto), which the image
# does not install. Build: docker build --build-arg REVISION=$(git rev-parse HEAD) .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock requirements-build.lock ./
# The image's virtualenv gets no pip of its own: this stage's pip installs into it.
RUN python -m venv --without-pip /opt/gdpr-operator \
 && python -m pip --python /opt/gdpr-operator/bin/python install --require-hashes --no-deps \
      -r requirements.lock \
 && python -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --no-deps -r requirements-build.lock
# The package reads its CRDs and agent presets through symlinks into crds/ and agent_configs/.
COPY pyproject.toml README.md LICENSE ./
COPY crds ./crds
COPY agent_configs ./agent_configs
COPY operator ./operator
RUN /opt/build/bin/pip wheel --no-build-isolation --no-deps --wheel-dir /src/dist . \
 && python -m pip --python /opt/gdpr-operator/bin/python install --no-deps --no-index \
      /src/dist/gdpr_operator-*.whl \
 && python -m pip --python /opt/gdpr-operator/bin/python check \
 && /opt/gdpr-operator/bin/python -m compileall -q /opt/gdpr-operator

FROM ${PYTHON_IMAGE}
ARG REVISION=""
LABEL org.opencontainers.image.title="gdpr-operator" \
      org.opencontainers.image.description="Kubernetes operator that keeps AWS accounts in the state GDPR security monitoring requires, and proves it in Prometheus." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/gdpr-operator/gdpr-operator" \
      org.opencontainers.image.url="https://github.com/gdpr-operator/gdpr-operator" \
      org.opencontainers.image.documentation="https://github.com/gdpr-operator/gdpr-operator/blob/main/README.md" \
      org.opencontainers.image.revision="${REVISION}"
# Nothing in the image installs anything: the base image's pip (and ensurepip, which would
# bring it back) go. A numeric user, so that Kubernetes' runAsNonRoot can verify it
# (deploy/base uses the same).
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
 && rm -rf /usr/local/lib/python3.11/ensurepip \
 && groupadd --gid 65532 gdpr-operator \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin gdpr-operator
COPY --from=build /opt/gdpr-operator /opt/gdpr-operator
ENV PATH=/opt/gdpr-operator/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["gdpr-operator"]
CMD ["run"]
