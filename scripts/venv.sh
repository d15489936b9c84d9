# Sourced by scripts/demo.sh and scripts/test.sh: `project_venv EXTRAS` creates .venv (if needed), installs the
# project with those extras (editable) unless this pyproject.toml was already installed with them, and activates
# it. pip's own output goes to .venv/install.log; on failure its end is printed and the script stops.
project_venv() {
  local extras="$1" python="${PYTHON:-python3}"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  . .venv/bin/activate
  local stamp=".venv/.installed-${extras//,/-}" want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "installing creator-governance[$extras] into .venv (pip's log: .venv/install.log) …"
    if ! { python -m pip install --upgrade pip && python -m pip install -e ".[$extras]"; } >.venv/install.log 2>&1
    then
      tail -n 30 .venv/install.log >&2
      echo "install failed: see .venv/install.log" >&2
      return 1
    fi
    echo "$want" > "$stamp"
  fi
  export PYSPARK_PYTHON="$PWD/.venv/bin/python"
}
