#!/usr/bin/env bash
# System packages Kvalitet needs from Debian: Chromium for the browser tests,
# Pango for PDF rendering (WeasyPrint), poppler-utils and LibreOffice to check
# generated documents. Installs only what is missing; needs root (or sudo).
set -euo pipefail
need=()
check() { dpkg -s "$1" >/dev/null 2>&1 || need+=("$1"); }
check chromium
check fonts-dejavu-core
check libpango-1.0-0
check libpangoft2-1.0-0
check poppler-utils
for extra in ${KVALITET_EXTRA_APT:-}; do check "$extra"; done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installerar systempaket: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
