#!/bin/sh
# Test-only: give the Debian client host rooted at ROOT a tailscale stand-in, and the
# script that makes its home look set up by the original install scripts (seed-client.sh).
# Usage (as root, on the controller): install-client.sh ROOT HOSTNAME IP
# Env: STANDIN_USER (default dev), STANDIN_PEERS "name=ip,..." as for install-server.sh.
set -eu
ROOT=${1:?usage: install-client.sh ROOT HOSTNAME IP}
NAME=${2:?hostname}
IP=${3:?ip}
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/install-common.sh"

install -D -m 0755 "$HERE/tailscale" "$ROOT/usr/local/bin/tailscale"
write_tailscale_config "linux" "tag:ai-client"
# A "set up by the install scripts" client, on demand: see seed-client.sh.
install -D -m 0755 "$HERE/seed-client.sh" "$ROOT/usr/local/share/standin/seed-client.sh"
