#!/usr/bin/env bash
# The virtual environments the pipeline examples run in: Airflow (examples/airflow) and Prefect
# (examples/prefect), each installed from PyPI with every version pinned by the example's
# requirements.txt. They live outside the clone, under
# ${XDG_CACHE_HOME:-~/.cache}/loupe-tools/<tool>-<version>, so every clone and CI run on the
# machine reuses one install (about 300 MB each).
#
#   scripts/pipeline-venvs.sh install   # what scripts/setup.sh runs: installs what is missing
#   scripts/pipeline-venvs.sh env       # prints the LOUPE_AIRFLOW_VENV / LOUPE_PREFECT_VENV exports
#
# An environment counts as complete when its marker file holds the checksum of the requirements
# it was made from; a missing or different marker (an interrupted install, a changed pin) means it
# is made again from scratch. A complete one is reused in well under a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/loupe-tools"

log() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

# venv_dir TOOL PACKAGE: the environment's path, named by the version the requirements pin.
venv_dir() {
    local requirements="$root/examples/$1/requirements.txt" version
    version="$(sed -n "s/^$2==//p" "$requirements")"
    [ -n "$version" ] || { log "no $2 pin in $requirements"; exit 1; }
    echo "$tools/$1-$version"
}

# install TOOL PACKAGE: makes the environment unless a complete one is there.
install() {
    local requirements="$root/examples/$1/requirements.txt" venv sum started
    venv="$(venv_dir "$1" "$2")"
    sum="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$venv/.loupe-complete" 2>/dev/null)" = "$sum" ]; then
        return
    fi
    log "installing $(basename "$venv") from PyPI into $venv (a minute or two, once)"
    started=$SECONDS
    rm -rf "$venv"
    mkdir -p "$tools"
    if ! python3 -m venv "$venv" \
        || ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"; then
        log "could not install $1 from $requirements (see pip's message above); the $1 example's tests need it"
        rm -rf "$venv"
        exit 1
    fi
    echo "$sum" >"$venv/.loupe-complete"
    log "$(basename "$venv") installed in $((SECONDS - started)) s"
}

case "${1:-}" in
    install)
        install airflow apache-airflow
        install prefect prefect
        ;;
    env)
        echo "export LOUPE_AIRFLOW_VENV='$(venv_dir airflow apache-airflow)'"
        echo "export LOUPE_PREFECT_VENV='$(venv_dir prefect prefect)'"
        ;;
    *)
        echo "usage: $0 install|env" >&2
        exit 2
        ;;
esac
