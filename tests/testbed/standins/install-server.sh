#!/bin/sh
# Test-only: make the Debian host rooted at ROOT look like an Apple Silicon Mac.
# Usage (as root, on the controller): install-server.sh ROOT HOSTNAME IP
# Env: STANDIN_USER (default dev) - the login user; STANDIN_PEERS "name=ip,name=ip" -
# tailnet peers for tailscale.json. Idempotent: config files that exist are kept, so a
# test's edits (logged-out tailnet, other macOS version) survive a re-run.
set -eu
ROOT=${1:?usage: install-server.sh ROOT HOSTNAME IP}
NAME=${2:?hostname}
IP=${3:?ip}
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/install-common.sh"

for tool in sw_vers uname sysctl pmset launchctl tailscale lsof; do
    install -D -m 0755 "$HERE/$tool" "$ROOT/usr/local/bin/$tool"
done
for file in ollama ollama_standin.py tailscale tailscaled; do
    install -D -m 0755 "$HERE/$file" "$ROOT/usr/local/share/standin/$file"
done

# Homebrew on Apple Silicon: /opt/homebrew owned by the user who installed it.
for dir in . bin sbin Cellar Caskroom opt var var/log var/homebrew; do
    install -d -o "$USER_UID" -g "$USER_GID" "$ROOT/opt/homebrew/$dir"
done
install -m 0755 -o "$USER_UID" -g "$USER_GID" "$HERE/brew" "$ROOT/opt/homebrew/bin/brew"

install -d -m 1777 "$ROOT/var/lib/launchctl-standin"   # every user's launchctl state
install -d -m 0755 "$ROOT/var/lib/standin"             # pmset / sysctl state (root)
install -d -m 0755 "$ROOT/Library/LaunchDaemons"
install -d -o "$USER_UID" -g "$USER_GID" -m 0700 "$ROOT$USER_HOME/Library"

write_once "$ROOT/etc/standin/mac.json" <<JSON
{"product_name": "macOS", "product_version": "15.1", "build_version": "24B83",
 "arch": "arm64", "memsize": 206158430208, "ncpu": 24, "cpu_brand": "Apple M2 Ultra",
 "model": "Mac14,14", "console_users": [$USER_UID], "gui_bootstrap_from_ssh": true}
JSON
write_tailscale_config "macOS" "tag:ai-server"
