"""Settings: read once from the environment (12-factor) into a frozen object."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

DEFAULT_DATABASE_URL = "sqlite:///instance/madoguchi.db"
LINE_API_BASE = "https://api.line.me"
LINE_DATA_API_BASE = "https://api-data.line.me"

# The demo runs with these published values so that `make demo` needs no configuration.
# They are never valid at LINE, and `from_env` refuses them outside demo mode.
DEMO_CHANNEL_SECRET = "madoguchi-demo-channel-secret"
DEMO_CHANNEL_ACCESS_TOKEN = "madoguchi-demo-access-token"
DEMO_SECRET_KEY = "madoguchi-demo-secret-key"

REQUIRED_SECRETS = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "SECRET_KEY")


class ConfigurationError(Exception):
    """The environment does not describe a runnable Madoguchi."""


@dataclass(frozen=True)
class Settings:
    """Everything Madoguchi reads from its environment."""

    database_url: str
    line_channel_secret: str
    line_channel_access_token: str
    secret_key: str
    line_api_base: str = LINE_API_BASE
    line_data_api_base: str = LINE_DATA_API_BASE
    media_dir: str = "instance/media"
    faq_corpus: str = ""
    # The embedded default answers events in a thread of the web process; production
    # turns this off and runs `madoguchi worker` processes instead.
    inline_worker: bool = True
    demo: bool = False
    # Admin session cookies are Secure (https only) unless a site runs the admin on plain http.
    admin_secure_cookies: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Build settings from environment variables; missing secrets fail with a clear message."""
        demo = _is_true(env.get("MADOGUCHI_DEMO", ""))
        secrets = {name: env.get(name, "").strip() for name in REQUIRED_SECRETS}
        if demo:
            secrets = {
                "LINE_CHANNEL_SECRET": secrets["LINE_CHANNEL_SECRET"] or DEMO_CHANNEL_SECRET,
                "LINE_CHANNEL_ACCESS_TOKEN": secrets["LINE_CHANNEL_ACCESS_TOKEN"] or DEMO_CHANNEL_ACCESS_TOKEN,
                "SECRET_KEY": secrets["SECRET_KEY"] or DEMO_SECRET_KEY,
            }
        missing = [name for name, value in secrets.items() if not value]
        if missing:
            raise ConfigurationError(
                "Madoguchi cannot start: set " + ", ".join(missing) + " in the environment "
                "(the channel secret and access token are on the LINE Developers console; "
                "SECRET_KEY is any long random string). `madoguchi demo` needs none of them."
            )
        return cls(
            database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            line_channel_secret=secrets["LINE_CHANNEL_SECRET"],
            line_channel_access_token=secrets["LINE_CHANNEL_ACCESS_TOKEN"],
            secret_key=secrets["SECRET_KEY"],
            line_api_base=env.get("LINE_API_BASE", "").strip() or LINE_API_BASE,
            line_data_api_base=env.get("LINE_DATA_API_BASE", "").strip() or LINE_DATA_API_BASE,
            media_dir=env.get("MEDIA_DIR", "").strip() or "instance/media",
            faq_corpus=env.get("MADOGUCHI_FAQ_CORPUS", "").strip(),
            inline_worker=not _is_false(env.get("MADOGUCHI_INLINE_WORKER", "")),
            admin_secure_cookies=not _is_false(env.get("ADMIN_SECURE_COOKIES", "")),
            demo=demo,
        )

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests and the demo use it)."""
        return replace(self, **changes)


def _is_true(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _is_false(value: str) -> bool:
    return value.strip().lower() in {"0", "false", "no", "off"}
