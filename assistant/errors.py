"""Typed errors whose message tells the user what to do.

Only the entry points (CLI, UI) word them for display; library code raises them.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for expected failures that a user can act on."""


class ConfigError(AssistantError):
    """A setting is missing or invalid."""


class ModelNotInstalledError(AssistantError):
    """A model file is missing: run `upr models install`."""


class ModelInstallError(AssistantError):
    """Downloading, verifying or assembling a model failed."""


class IngestError(AssistantError):
    """One input file could not be read; the batch goes on without it."""


class IndexStoreError(AssistantError):
    """The index is missing, corrupt or out of sync."""


class BackendError(AssistantError):
    """The answering backend (local model or server) failed or is unreachable."""
