"""Settings for the `server` group: the Mac that runs Ollama. See the README's settings table.

The comments are the schema's descriptions (remote_ollama/settings_schema.py): edit
there and run `python -m remote_ollama.settings_docs`, which rewrites this file
keeping its values; a test fails when the two differ."""

# `absent` uninstalls the jobs, plists and our log files, by name (keeps brew, Tailscale,
# binary, models, and any other file in the log folder).
server_state = "present"
# `agent`: user LaunchAgent (needs a GUI login); `daemon`: LaunchDaemon with UserName,
# starts at boot.
ollama_service = "agent"
# Let the deploy boot out other launchd jobs running `ollama serve` and move their plists
# to the backup folder; off: it stops and names them.
ollama_retire_unknown_jobs = False
# launchd label of the Ollama job.
ollama_label = "com.remote-ollama.ollama"
# Listen on the Tailscale IPv4, 127.0.0.1, or 0.0.0.0 (needs `ollama_allow_lan_exposure`).
ollama_bind = "tailscale"
# Required for `ollama_bind: all`: exposes Ollama, unauthenticated, on every network the
# Mac joins.
ollama_allow_lan_exposure = False
# OLLAMA_KEEP_ALIVE: how long an idle model stays loaded (-1 = forever).
ollama_keep_alive = "5m"
# OLLAMA_FLASH_ATTENTION; None leaves Ollama's automatic choice.
ollama_flash_attention = None
# OLLAMA_KV_CACHE_TYPE; None = Ollama's default (f16).
ollama_kv_cache_type = None
# OLLAMA_NUM_PARALLEL; None = Ollama's default (1).
ollama_num_parallel = None
# OLLAMA_MAX_LOADED_MODELS; None = Ollama's default.
ollama_max_loaded_models = None
# OLLAMA_MAX_QUEUE; None = Ollama's default (512).
ollama_max_queue = None
# OLLAMA_ORIGINS: extra CORS origins.
ollama_origins = []
# OLLAMA_MODELS: `~/...`, `/Volumes/<disk>/...` or `/Users/Shared/...`; None =
# ~/.ollama/models.
ollama_models_dir = None
# Any other environment for `ollama serve`, e.g. {'OLLAMA_DEBUG': '1'}.
ollama_extra_env = {}
# launchd ThrottleInterval: seconds between restarts.
ollama_throttle_interval = 10
# Folder (`~/...`) of the job's logs; uninstall removes only our log files in it, and the
# folder only if the deploy created it and it is then empty.
ollama_log_dir = "~/Library/Logs/remote-ollama"
# Folder (`~/...`) where pinned Ollama releases are unpacked (`<version>/`), and where an
# unpinned server keeps a copy of the Homebrew keg that serves (`homebrew/<version>/`), so
# it can roll back after `brew upgrade`.
ollama_install_dir = "~/.local/opt/ollama"
# Release archive URL for a pinned version; `{version}` is replaced (the only placeholder
# allowed).
ollama_release_url = "https://github.com/ollama/ollama/releases/download/v{version}/ollama-darwin.tgz"
# Try again an Ollama pin or plist that failed and was rolled back on a host (its record
# is in ~/.local/state/remote-ollama/rollback.json).
ollama_retry_failed = False
# Seconds to wait for /api/version after a (re)start.
ollama_health_timeout = 60
# Remove local models that are not in `models`.
prune_models = False
# Models (a subset of `models`) loaded after converging.
warm_models = []
# Also load `warm_models` after every boot with a small launchd job.
warm_at_boot = False
# What to do when the declared models cannot fit in memory.
memory_check = "fail"
# Stop unless Tailscale is Running with an IPv4. Turn off only for CI runners bound to
# loopback.
tailscale_required = True
# `pmset -a` values for 24/7 operation; {} leaves power settings alone.
pmset = {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}
