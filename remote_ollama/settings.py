"""The typed settings schema: the one source of truth for every host's data.

Every key a user may put in ``group_data/*.py``, an inventory or ``--data`` is a field of
``Settings``, with its type, default, a one-line description and an example, as NixOS
options have. The risky ones have a longer explanation in ``remote_ollama.settings_docs``.
``validate_host`` turns a host's raw data into a ``Settings`` object or raises
``SettingsError`` naming the host, the key, the bad value and what is allowed.

This module is where everyone imports them from; each concern lives in its own module:

- ``settings_schema``: the ``Settings`` model, field by field;
- ``setting_types``: what a value may look like (``MODEL_RE``, ``Duration``, ...);
- ``settings_checks``: checks between fields (``default_model`` among ``models``, ...);
- ``settings_renamed``: keys that were renamed or removed, and what to use instead;
- ``settings_validation``: ``validate_host`` and its error messages.
"""

from __future__ import annotations

# Each module's ``__all__`` names what it makes public; all of it is importable from here.
from remote_ollama.setting_types import *  # noqa: F403
from remote_ollama.settings_checks import *  # noqa: F403
from remote_ollama.settings_checks import CrossError as _CrossError  # noqa: F401  (old name)
from remote_ollama.settings_renamed import *  # noqa: F403
from remote_ollama.settings_schema import *  # noqa: F403
from remote_ollama.settings_validation import *  # noqa: F403


def settings_table() -> str:
    """The README's settings section (``remote_ollama.settings_docs.settings_table``)."""
    from remote_ollama.settings_docs import settings_table as table

    return table()
