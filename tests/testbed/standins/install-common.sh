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

# write_tailscale_config OS TAG: this node's tailnet identity plus STANDIN_PEERS.
write_tailscale_config() {
    peers=""
    old_ifs=$IFS
    IFS=,
    for pair in ${STANDIN_PEERS:-}; do
        [ -n "$pair" ] || continue
        peers="$peers${peers:+, }{\"hostname\": \"${pair%%=*}\", \"ip\": \"${pair#*=}\", \"os\": \"linux\", \"online\": true}"
    done
    IFS=$old_ifs
    write_once "$ROOT/etc/standin/tailscale.json" <<JSON
{"state": "Running", "hostname": "$NAME", "ip": "$IP", "os": "$1", "tags": ["$2"],
 "tailnet": "example.ts.net", "version": "1.76.6", "peers": [$peers]}
JSON
}
