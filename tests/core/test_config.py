"""Settings come from the environment once; a missing secret stops the start with advice."""
from __future__ import annotations

import pytest

from core.config import DEFAULT_DATABASE_URL, DEMO_CHANNEL_SECRET, ConfigurationError, Settings

SECRETS = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k"}


def test_defaults_fill_everything_but_the_secrets() -> None:
    settings = Settings.from_env(SECRETS)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.line_api_base == "https://api.line.me"
    assert settings.line_data_api_base == "https://api-data.line.me"
    assert settings.inline_worker and not settings.demo


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_a_missing_secret_is_named_in_the_error(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(env)


def test_a_blank_secret_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env({**SECRETS, "SECRET_KEY": "  "})


def test_demo_mode_needs_no_secrets() -> None:
    settings = Settings.from_env({"MADOGUCHI_DEMO": "1"})
    assert settings.demo and settings.line_channel_secret == DEMO_CHANNEL_SECRET


def test_the_environment_overrides_the_defaults() -> None:
    settings = Settings.from_env({**SECRETS, "DATABASE_URL": "postgresql://db/x", "LINE_API_BASE": "http://e:1",
                                  "MADOGUCHI_INLINE_WORKER": "0"})
    assert (settings.database_url, settings.line_api_base, settings.inline_worker) == \
        ("postgresql://db/x", "http://e:1", False)
