#!/bin/sh
# Install what the testbed controller (this Linux machine, as root) needs to run
# tests/testbed/fleet: debootstrap for the hosts' Debian root, iproute2 for network
# namespaces, util-linux for nsenter/unshare/mount, ssh-keygen, curl and nc for
# probes, python3.11 with pip for the wheelhouse, npm for the Claude Code package, and
# zsh and dash so the shell-block tests run in every shell the clients use.
# Idempotent: installs only what is missing, and runs `apt-get update` only then.
set -eu

if [ "$(id -u)" != 0 ]; then
    echo "prepare-host.sh: run as root (apt-get, and the testbed itself, need it)" >&2
    exit 1
fi

packages="debootstrap openssh-client iproute2 util-linux mount kmod curl netcat-openbsd
ca-certificates python3 python3-pip python3-venv zsh dash
gnupg dpkg-dev"  # gnupg, dpkg-dev: the signed apt repo stand-in (fleetlib/apt_repo.py)

missing=""
for pkg in $packages; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $pkg"
done
# npm may come from nodejs (NodeSource) rather than Debian's npm package.
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    echo "prepare-host.sh: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# Host roots are overlayfs mounts: load the module if the kernel has it as one.
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
if ! grep -qw overlay /proc/filesystems; then
    echo "prepare-host.sh: this kernel has no overlayfs; the testbed cannot run" >&2
    exit 1
fi
echo "prepare-host.sh: ready"
