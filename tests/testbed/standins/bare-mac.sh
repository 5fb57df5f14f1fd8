#!/bin/sh
# Test-only: turn the server stand-in host rooted at ROOT into a new Mac (issue 16's
# bare-Mac profile): no Homebrew, no Command Line Tools, no Tailscale CLI, tailscaled not
# running (state "NoState"), and a stand-in control plane that knows the auth keys given.
# Usage (as root, on the controller, after install-server.sh):
#   bare-mac.sh ROOT KEY=TAG[,TAG...] [KEY=TAG...]
# Undo: run install-server.sh again (it puts /usr/local/bin/tailscale back); Homebrew, if
# the deploy installed it, stays, as on a real Mac.
set -eu
ROOT=${1:?usage: bare-mac.sh ROOT KEY=TAGS...}
shift

# Stop a tailscaled that a previous run started (launchctl stand-in's system domain).
if [ -d "$ROOT/var/lib/launchctl-standin/system/homebrew.mxcl.tailscale" ]; then
    chroot "$ROOT" /usr/local/bin/launchctl bootout system/homebrew.mxcl.tailscale \
        >/dev/null 2>&1 || true
fi
rm -f "$ROOT/Library/LaunchDaemons/homebrew.mxcl.tailscale.plist"
rm -rf "$ROOT/opt/homebrew" "$ROOT/Library/Developer/CommandLineTools" \
    "$ROOT/usr/local/bin/tailscale"
install -D -m 0755 "$(dirname "$0")/brew" "$ROOT/usr/local/share/standin/brew"

python3 - "$ROOT/etc/standin" "$@" <<'PY'
import json, os, sys
folder, pairs = sys.argv[1], sys.argv[2:]
path = f"{folder}/tailscale.json"
with open(path) as f:
    cfg = json.load(f)
cfg.update(state="NoState", tags=[])
keys = {}
for pair in pairs:
    key, _, tags = pair.partition("=")
    keys[key] = [t for t in tags.split(",") if t]
for name, data in (("tailscale.json", cfg), ("tailscale-keys.json", keys)):
    target = f"{folder}/{name}"
    with open(target + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
    os.chmod(target + ".tmp", 0o644)
    os.replace(target + ".tmp", target)
PY
