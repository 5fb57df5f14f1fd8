"""The LaunchAgent the original remote-ollama install scripts leave on a server (issue 19),
shared by the plan tests (a stubbed Mac's file) and the e2e tests (written onto the
testbed's Mac and bootstrapped).

Source: henriquefalconer/remote-ollama, server/SETUP.md step 3 (the plist written to
``~/Library/LaunchAgents/com.ollama.plist`` with ``cat > ... <<'EOF'``: four-space
indentation, Homebrew's ``/opt/homebrew/bin/ollama serve``, ``OLLAMA_HOST`` 0.0.0.0,
KeepAlive and RunAtLoad true, logs in /tmp). server/scripts/install.sh writes the same
plist with an optional ``OLLAMA_ORIGINS`` commented out over four lines; the one-line
comment here stands for it (its exact layout is not recorded: the deploy must recognise
the job whatever the comment says).
"""

from __future__ import annotations

SEED_PLIST = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>{label}</string>
    <key>ProgramArguments</key>
    <array>
        <string>/opt/homebrew/bin/ollama</string>
        <string>serve</string>
    </array>
    <key>EnvironmentVariables</key>
    <dict>
        <key>OLLAMA_HOST</key>
        <string>{host}</string>
        <!-- <key>OLLAMA_ORIGINS</key><string>*</string> -->
    </dict>
    <key>KeepAlive</key>
    <true/>
    <key>RunAtLoad</key>
    <true/>
    <key>StandardOutPath</key>
    <string>/tmp/ollama.stdout.log</string>
    <key>StandardErrorPath</key>
    <string>/tmp/ollama.stderr.log</string>
</dict>
</plist>
"""


def seed_plist(label: str = "com.ollama", host: str = "0.0.0.0") -> str:
    """The install scripts' plist, for another ``label`` or ``OLLAMA_HOST`` when a test
    needs an unknown job of the same shape."""
    return SEED_PLIST.format(label=label, host=host)
