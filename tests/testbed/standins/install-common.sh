# Shared by install-server.sh and install-client.sh (sourced; needs ROOT NAME IP).
# Test-only.

# The login user's uid, gid and home from the host's own passwd file.
USER_NAME=${STANDIN_USER:-dev}
USER_LINE=$(grep "^$USER_NAME:" "$ROOT/etc/passwd" 2>/dev/null || true)
USER_UID=$(echo "$USER_LINE" | cut -d: -f3)
USER_GID=$(echo "$USER_LINE" | cut -d: -f4)
USER_HOME=$(echo "$USER_LINE" | cut -d: -f6)
USER_UID=${USER_UID:-1000}
USER_GID=${USER_GID:-1000}
USER_HOME=${USER_HOME:-/home/$USER_NAME}

# write_once PATH < content: create a root-owned 0644 config file unless it exists.
write_once() {
    if [ -e "$1" ]; then
        cat >/dev/null
        return 0
    fi
    mkdir -p "$(dirname "$1")"
    cat >"$1.tmp"
    chmod 0644 "$1.tmp"
    mv "$1.tmp" "$1"
}

# write_tailscale_config OS TAG: this node's tailnet identity plus STANDIN_PEERS. Keys a
# test may have changed (state, tags, ...) are kept; name, ip and peers follow the fleet.
write_tailscale_config() {
    mkdir -p "$ROOT/etc/standin"
    python3 - "$ROOT/etc/standin/tailscale.json" "$NAME" "$IP" "$1" "$2" <<'PY'
import json, os, sys
path, name, ip, os_name, tag = sys.argv[1:]
try:
    with open(path) as f:
        cfg = json.load(f)
except FileNotFoundError:
    cfg = {"state": "Running", "os": os_name, "tags": [tag], "tailnet": "example.ts.net",
           "version": "1.76.6"}
peers = [p.split("=", 1) for p in os.environ.get("STANDIN_PEERS", "").split(",") if "=" in p]
cfg.update(hostname=name, ip=ip,
           peers=[{"hostname": n, "ip": a, "os": "linux", "online": True} for n, a in peers])
with open(path + ".tmp", "w") as f:
    json.dump(cfg, f, indent=1)
os.chmod(path + ".tmp", 0o644)
os.replace(path + ".tmp", path)
PY
}
