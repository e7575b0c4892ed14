# gdpr-operator: `gdpr-operator run` on a slim Python 3.11, as a non-root user.
# Dependencies are installed at the versions pinned in requirements.lock
# (scripts/lock-requirements), then the package itself without resolving anything else.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/gdpr-operator
WORKDIR /src
COPY requirements.lock ./
RUN /opt/gdpr-operator/bin/pip install --require-virtualenv -r requirements.lock
# The package reads its CRDs and agent presets through symlinks into crds/ and agent_configs/.
COPY pyproject.toml README.md ./
COPY crds ./crds
COPY agent_configs ./agent_configs
COPY operator ./operator
RUN /opt/gdpr-operator/bin/pip install --require-virtualenv --no-deps . \
 && /opt/gdpr-operator/bin/pip check \
 && /opt/gdpr-operator/bin/python -m compileall -q /opt/gdpr-operator

FROM ${PYTHON_IMAGE}
# A numeric user, so that Kubernetes' runAsNonRoot can verify it (deploy/base uses the same).
RUN groupadd --gid 65532 gdpr-operator \
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
