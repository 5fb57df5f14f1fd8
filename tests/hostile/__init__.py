"""Hostile servers for the network clients (TEST-ONLY CODE).

- ``server.py``: HostileServer, an HTTP server on 127.0.0.1 with 18 misbehaviours
  (BEHAVIOURS), bounded in time; it also listens on a second port that redirects point at.
- ``cases.py``: every client (check, the self-check, warm at each stage, converge pulls)
  against every behaviour, each case's outcome, and ``tally()`` / ``markdown()`` for
  docs/reliability.md (``python -m tests.hostile.cases`` prints the table).
- ``reliability.py`` runs every case set and writes docs/reliability.md: settings, server
  answers, ``network_cases`` (the cases above, a row per client), ``analytics_cases``
  (corrupt run directories through ``analytics report``) and ``profile_cases`` (nasty
  shell profiles through converge then uninstall).

tests/unit/test_hostile.py runs them all.
"""
