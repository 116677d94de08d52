#!/usr/bin/env bash
# System packages the test suite needs on Debian 12: PostGIS for the PostgreSQL run,
# Chromium for the real-browser tests, a Japanese font so that screenshots show text.
# Installs only what is missing (needs root then); checks that PostgreSQL answers.
set -euo pipefail

packages=(postgresql-15-postgis-3 chromium fonts-noto-cjk)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing system packages: ${missing[*]}" >&2
        echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if [ "$(id -u)" -eq 0 ] && command -v pg_ctlcluster >/dev/null; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    fi
    pg_isready -h 127.0.0.1 -p 5432
fi
