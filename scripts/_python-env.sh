# Sourced by the other scripts: a .venv with gdpr-operator and its dev tools, reinstalled
# whenever pyproject.toml changes. Needs only python3 (3.11+) on the PATH.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stamp="$repo/.venv/.installed-$(sha256sum "$repo/pyproject.toml" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setting up the Python environment in .venv (first run only)" >&2
  python3 -m venv "$repo/.venv"
  "$repo/.venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$repo/.venv/bin/pip" install --quiet --disable-pip-version-check -e "$repo[dev]"
  rm -f "$repo"/.venv/.installed-*
  touch "$stamp"
fi
export PATH="$repo/.venv/bin:$PATH"
