"""Errors the engine raises at its boundary. Each message is written for a person, not a programmer:
what is wrong and what to do about it. The UI and CLI show the message as it is."""


class AecoreError(Exception):
    """Base class: anything the engine rejects on purpose."""


class DataError(AecoreError, ValueError):
    """The data given to a loader cannot be used (malformed, too large, unsafe)."""


class BundleError(AecoreError, ValueError):
    """A file is not a valid model bundle, or does not match this version."""


class ConfigError(AecoreError, ValueError):
    """An estimator parameter is invalid (unknown model name, bad latent size...)."""


def check_choice(name: str, value, allowed) -> None:
    """The one rule for every named choice: an unknown value's message lists the valid ones."""
    if value not in allowed:
        raise ConfigError(f"Unknown {name} '{value}'. Choose one of: {', '.join(map(str, allowed))}.")
