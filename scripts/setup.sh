#!/usr/bin/env bash
# Installs everything Vaani needs on a fresh Debian 12 machine (idempotent; fast when done).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
packages=(
  libpocketsphinx3 pocketsphinx pocketsphinx-en-us pocketsphinx-testdata  # STT engine + model + test speech
  libespeak-ng1 espeak-ng-data espeak-ng                                  # TTS engine + voices
  libopus0 opus-tools                                                     # Opus codec
  ffmpeg sox                                                              # container decoding; reference audio tools
  postgresql                                                              # control store (multi-node) and its tests
  nginx                                                                   # gateway benchmark baseline
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore "$root/Vaani.slnx" --nologo -v q >/dev/null
