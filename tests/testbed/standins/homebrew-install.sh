#!/bin/bash
# Test-only stand-in for Homebrew's installer (Homebrew/install install.sh), served by the
# testbed mirror at /homebrew/install.sh. Not product code. It reproduces what the deploy
# relies on, with the messages of install.sh at commit ca0130bd (line numbers are its):
# - as root: abort "Don't run this as root!" (l.364);
# - non-interactive when NONINTERACTIVE is set, or CI, or stdin is not a TTY (l.112-134),
#   and then sudo is only ever `sudo -n` (l.245-252); without it, abort
#   "Need sudo access on macOS (e.g. the user ${USER} needs to be an Administrator)!"
#   (l.261-263); with a TTY and no NONINTERACTIVE it would prompt: the stand-in refuses
#   instead, so a deploy that forgot NONINTERACTIVE fails loudly;
# - the Command Line Tools, when /Library/Developer/CommandLineTools/usr/bin/git is missing
#   (l.367-378), are installed through sudo softwareupdate (l.845-866): here the marker
#   file is created through sudo;
# - /opt/homebrew (l.155-160) created through sudo and owned by the user (l.702-838);
#   brew itself (a git checkout there, l.940-1040) is the brew stand-in copied from
#   $STANDIN_ROOT/usr/local/share/standin/brew; "==> Installation successful!" (l.1045).
# Messages go through abort() (stderr, exit 1), ohai() ("==> ", stdout) and warn()
# ("Warning: ", stderr), as in install.sh l.9-12, 82-88.
set -u
ROOT=${STANDIN_ROOT:-}
PREFIX="$ROOT/opt/homebrew"
CLT_GIT="$ROOT/Library/Developer/CommandLineTools/usr/bin/git"

abort() { printf "%s\n" "$@" >&2; exit 1; }
ohai() { printf "==> %s\n" "$*"; }
warn() { printf "Warning: %s\n" "$1" >&2; }

[[ "${EUID:-${UID}}" == "0" ]] && abort "Don't run this as root!"

if [[ -z "${NONINTERACTIVE-}" ]]; then
  if [[ -n "${CI-}" ]]; then
    warn 'Running in non-interactive mode because `$CI` is set.'
    NONINTERACTIVE=1
  elif [[ ! -t 0 ]]; then
    warn 'Running in non-interactive mode because `stdin` is not a TTY.'
    NONINTERACTIVE=1
  else
    abort "stand-in: an interactive install would prompt here; set NONINTERACTIVE=1"
  fi
else
  ohai 'Running in non-interactive mode because `$NONINTERACTIVE` is set.'
fi

ohai 'Checking for `sudo` access (which may request your password)...'
/usr/bin/sudo -n -l mkdir >/dev/null 2>&1 ||
  abort "Need sudo access on macOS (e.g. the user ${USER:-$(id -un)} needs to be an Administrator)!"

ohai "This script will install:"
echo "$PREFIX/bin/brew"

if [[ ! -e "$CLT_GIT" ]]; then
  ohai "Searching online for the Command Line Tools"
  ohai "Installing Command Line Tools for Xcode-16.2"
  /usr/bin/sudo -n /usr/bin/install -D -m 0755 /dev/null "$CLT_GIT" ||
    abort "Failed during: /usr/bin/sudo /usr/sbin/softwareupdate -i Command Line Tools for Xcode-16.2"
fi

me=$(id -un)
group=$(id -gn)
for dir in . bin sbin Cellar Caskroom opt var var/log var/homebrew; do
  /usr/bin/sudo -n /usr/bin/install -d -o "$me" -g "$group" "$PREFIX/$dir" ||
    abort "Failed during: /usr/bin/sudo /usr/bin/install -d -o $me -g $group $PREFIX/$dir"
done

ohai "Downloading and installing Homebrew..."
/usr/bin/install -m 0755 "$ROOT/usr/local/share/standin/brew" "$PREFIX/bin/brew" ||
  abort "Failed during: git fetch --force origin"

ohai "Installation successful!"
echo
ohai "Next steps:"
echo "- Run these commands in your terminal to add Homebrew to your PATH:"
echo "    eval \"\$($PREFIX/bin/brew shellenv)\""
