# Sourced by scripts/test and scripts/demo: the Debian packages they need, installed when
# missing (as root, or through sudo). Go (1.24+) must be there: it builds the pinned
# tools (scripts/build-tools).
_need=()
# openssl makes the local cluster's certificates; lua5.1 runs the Argo CD health check tests;
# Alertmanager receives the alerts of the Prometheus end-to-end tests (Debian's 0.25 serves:
# API v2 and webhook receivers, and no build); flock serialises tool builds; docker-registry
# (the CNCF Distribution registry) is the OCI registry that the Helm tests push the chart to.
for _tool in openssl:openssl curl:curl lua5.1:lua5.1 flock:util-linux \
    prometheus-alertmanager:prometheus-alertmanager docker-registry:docker-registry; do
  command -v "${_tool%%:*}" >/dev/null || _need+=("${_tool#*:}")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || _need+=(python3-venv)
if ((${#_need[@]})); then
  echo "installing Debian packages: ${_need[*]}" >&2
  _sudo=""; ((EUID == 0)) || _sudo=sudo
  $_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq --no-install-recommends \
    "${_need[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go (1.24 or newer) is required" >&2; exit 1; }
unset _need _tool _sudo
