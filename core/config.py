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
    # The embedded default answers events in a thread of the web process; production
    # turns this off and runs `madoguchi worker` processes instead.
    inline_worker: bool = True
    demo: bool = False
    # Admin session cookies are Secure (https only) unless a site runs the admin on plain http.
    admin_secure_cookies: bool = True
    # The homepage web chat: origins allowed to call /api/chat from the browser (none = same origin only),
    # questions per minute per visitor address (0 = no limit), and how many proxy hops' X-Forwarded-For to trust.
    webchat_allowed_origins: tuple[str, ...] = ()
    webchat_rate_limit: int = 30
    webchat_trust_proxy: int = 0
    # Broadcasts: requests per second per LINE endpoint for this process ("multicast=190,broadcast=60/h";
    # empty = a little under LINE's published limits), staff LINE ids for test sends, the city's time zone.
    broadcast_rate_limits: str = ""
    broadcast_test_recipients: tuple[str, ...] = ()
    broadcast_timezone: str = "Asia/Tokyo"
    # Damage reports: the city's boundary (GeoJSON file, or "lat,lon,radius_m"; the demo city when
    # both are empty), wards for routing by area (GeoJSON), a categories file replacing the default
    # catalogue, and the API keys allowed to POST to Open311.
    report_boundary_geojson: str = ""
    report_city_centre: str = ""
    report_wards_geojson: str = ""
    report_categories_file: str = ""
    open311_api_keys: tuple[str, ...] = ()

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
            inline_worker=not _is_false(env.get("MADOGUCHI_INLINE_WORKER", "")),
            admin_secure_cookies=not _is_false(env.get("ADMIN_SECURE_COOKIES", "")),
            demo=demo,
            webchat_allowed_origins=parse_origins(env.get("WEBCHAT_ALLOWED_ORIGINS", "")),
            webchat_rate_limit=_non_negative_int(env, "WEBCHAT_RATE_LIMIT", 30),
            webchat_trust_proxy=_proxy_hops(env.get("WEBCHAT_TRUST_PROXY", "")),
            broadcast_rate_limits=env.get("BROADCAST_RATE_LIMITS", "").strip(),
            broadcast_test_recipients=tuple(i.strip() for i in env.get("BROADCAST_TEST_RECIPIENTS", "").split(",")
                                            if i.strip()),
            broadcast_timezone=env.get("BROADCAST_TIMEZONE", "").strip() or "Asia/Tokyo",
            report_boundary_geojson=env.get("REPORT_BOUNDARY_GEOJSON", "").strip(),
            report_city_centre=env.get("REPORT_CITY_CENTRE", "").strip(),
            report_wards_geojson=env.get("REPORT_WARDS_GEOJSON", "").strip(),
            report_categories_file=env.get("REPORT_CATEGORIES_FILE", "").strip(),
            open311_api_keys=tuple(k.strip() for k in env.get("OPEN311_API_KEYS", "").split(",") if k.strip()),
        )

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests and the demo use it)."""
        return replace(self, **changes)


def _is_true(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _is_false(value: str) -> bool:
    return value.strip().lower() in {"0", "false", "no", "off"}


def parse_origins(value: str) -> tuple[str, ...]:
    """`https://a.example, https://b.example/` → ("https://a.example", "https://b.example"): the form browsers send."""
    origins = []
    for item in value.split(","):
        origin = item.strip().rstrip("/").lower()
        if origin and "://" not in origin:
            raise ConfigurationError(f"WEBCHAT_ALLOWED_ORIGINS: {item.strip()!r} is not an origin like https://www.city.example.jp")
        if origin and origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _non_negative_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigurationError(f"{name} must be a whole number (0 or more), not {raw!r}")
    return int(raw)


def _proxy_hops(value: str) -> int:
    """WEBCHAT_TRUST_PROXY: 1/true = one proxy in front (its X-Forwarded-For entry is trusted), N = N proxies."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    return 1 if _is_true(value) else 0
