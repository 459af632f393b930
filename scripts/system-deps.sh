#!/usr/bin/env bash
# System packages Kvalitet needs from Debian: Chromium for the browser tests,
# Pango for PDF rendering (WeasyPrint), poppler-utils and LibreOffice to check
# generated documents. Installs only what is missing; needs root (or sudo).
#   scripts/system-deps.sh run    what the application needs to run
#   scripts/system-deps.sh test   that, plus what the test suite needs (the default)
set -euo pipefail
profile="${1:-test}"
need=()
check() { dpkg -s "$1" >/dev/null 2>&1 || need+=("$1"); }
# --- run: PDF rendering
check fonts-dejavu-core
check libpango-1.0-0
check libpangoft2-1.0-0
# --- run: SAML signatures and encryption (pysaml2 calls the xmlsec1 program)
check xmlsec1
if [ "$profile" = "test" ]; then
  # --- test: a real browser, and tools that open the generated documents
  check chromium
  check poppler-utils
  # LibreOffice (headless) opens the generated Word files of the kvalitetsberättelse
  check libreoffice-writer-nogui
  check fonts-liberation
  # Redis: the test of rate limits shared by two app instances starts its own redis-server
  check redis-server
fi
for extra in ${KVALITET_EXTRA_APT:-}; do check "$extra"; done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installerar systempaket: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
