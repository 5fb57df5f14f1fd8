"""Settings for the `server` group: the Mac that runs Ollama."""

# present = converge; absent = uninstall job, plist and logs (keeps brew, Tailscale, models).
server_state = "present"
# agent = user LaunchAgent (needs a GUI login); daemon = LaunchDaemon running as the user.
ollama_service = "agent"
# True lets the deploy boot out other launchd jobs running `ollama serve` (plist kept in
# ~/Library/Logs/remote-ollama-backup); False stops the run and names them.
ollama_retire_unknown_jobs = False
# launchd label of the Ollama job.
ollama_label = "com.remote-ollama.ollama"
# tailscale = the Tailscale IPv4 only; loopback = 127.0.0.1; all = 0.0.0.0 (see next).
ollama_bind = "tailscale"
# Must be True for ollama_bind = "all": Ollama has no auth and every LAN could reach it.
ollama_allow_lan_exposure = False
# OLLAMA_KEEP_ALIVE: how long an idle model stays loaded ("-1" = forever).
ollama_keep_alive = "5m"
# OLLAMA_FLASH_ATTENTION: True/False, or None for Ollama's automatic choice.
ollama_flash_attention = None
# OLLAMA_KV_CACHE_TYPE: "f16", "q8_0", "q4_0", or None for Ollama's default.
ollama_kv_cache_type = None
# OLLAMA_NUM_PARALLEL: parallel requests per model; None = Ollama's default.
ollama_num_parallel = None
# OLLAMA_MAX_LOADED_MODELS: models loaded at once; None = Ollama's default.
ollama_max_loaded_models = None
# OLLAMA_MAX_QUEUE: queued requests before HTTP 503; None = Ollama's default.
ollama_max_queue = None
# OLLAMA_ORIGINS: extra CORS origins.
ollama_origins = []
# OLLAMA_MODELS: where models live; None = ~/.ollama/models.
ollama_models_dir = None
# Any other environment for `ollama serve`, e.g. {"OLLAMA_DEBUG": "1"}.
ollama_extra_env = {}
# launchd ThrottleInterval: minimum seconds between restarts.
ollama_throttle_interval = 10
# Folder (~/...) of the job's logs; uninstall removes only our log files in it.
ollama_log_dir = "~/Library/Logs/remote-ollama"
# Folder (~/...) where pinned Ollama releases are unpacked.
ollama_install_dir = "~/.local/opt/ollama"
# Release archive URL for a pinned version; {version} (the only placeholder) is replaced.
ollama_release_url = "https://github.com/ollama/ollama/releases/download/v{version}/ollama-darwin.tgz"
# Try again an Ollama pin or plist that failed and was rolled back on a host (its record is in
# ~/.local/state/remote-ollama/rollback.json).
ollama_retry_failed = False
# Seconds to wait for /api/version after a (re)start.
ollama_health_timeout = 60
# Remove local models that are not in `models`.
prune_models = False
# Models (a subset of `models`) loaded after converging.
warm_models = []
# Also load warm_models after every boot with a small launchd job.
warm_at_boot = False
# fail, warn or off when the declared models cannot fit in memory.
memory_check = "fail"
# Stop unless Tailscale is Running with an IPv4 (turn off only for loopback-bound CI runners).
tailscale_required = True
# `pmset -a` values for 24/7 operation; {} leaves power settings alone.
pmset = {"sleep": 0, "disksleep": 0, "autorestart": 1, "womp": 1}
