"""The server settings in .streamlit/config.toml that protect users: the upload limit, XSRF protection,
no error details shown to users, no usage statistics sent."""
from __future__ import annotations

import tomllib
from pathlib import Path

from aecore import DEFAULT_LIMITS

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


def settings() -> dict:
    with CONFIG.open("rb") as fh:
        return tomllib.load(fh)


def test_uploads_are_capped_at_the_largest_file_the_loaders_accept():
    limit_mb = settings()["server"]["maxUploadSize"]
    # the largest table the loaders read; the loaders' own, finer limits apply below it
    assert limit_mb * 2**20 == DEFAULT_LIMITS.max_table_bytes


def test_xsrf_protection_is_on():
    assert settings()["server"]["enableXsrfProtection"] is True


def test_users_never_see_tracebacks():
    assert settings()["client"]["showErrorDetails"] == "none"


def test_no_usage_statistics_are_sent():
    assert settings()["browser"]["gatherUsageStats"] is False


def test_streamlit_reads_them():
    """The file is where Streamlit looks (the project root's .streamlit/), with option names it knows."""
    from streamlit import config

    config.get_config_options(force_reparse=True, options_from_flags={})
    assert config.get_option("server.enableXsrfProtection") is True
    assert config.get_option("client.showErrorDetails") == "none"
    assert config.get_option("browser.gatherUsageStats") is False
