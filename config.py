"""Configuration classes. Nothing here reads the environment at import time:
``config_for(name)`` builds the class's values when the app is created."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The app refuses to start: a required setting is missing."""


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Identity-number encryption: comma-separated Fernet keys, newest first (rotation).
    ZC_ID_KEYS: str | None = None
    # Keyed hash for identity-number look-ups (duplicate detection).
    ZC_ID_HASH_KEY: str | None = None
    ZC_TODAY: str | None = None
    # Statistics figures are reused per scope for this many seconds (0: computed on every
    # view). `flask stats refresh` from cron keeps them warm.
    ZC_STATS_TTL = 300
    # The queue's program and batch filter choices are reused per process for this long.
    ZC_FILTER_CHOICES_TTL = 30
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024 + 64 * 1024
    UPLOAD_DIR = str(BASE_DIR / "instance" / "uploads")
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = ""  # several deployments (or test runs) sharing one Redis
    # Redis down: limits fall back to per-process memory rather than failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_MINUTES = 15
    API_TOKEN_HOURS = 12
    REDIS_URL: str | None = None
    JOBS_INLINE = True  # embedded default: background jobs run in-process after commit
    JOBS_QUEUE = "zhongchuang"  # RQ queue name (several deployments sharing one Redis)
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (ProxyFix).
    PROXY_COUNT = 0
    EXPOSE_WORKER = False  # X-Worker header with the serving process id (diagnostics, tests)
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "zhongchuang@localhost"
    LOG_JSON = False
    # 电子签章: the directory with ca.crt and each issuer's <code>.key and <code>.crt. Unset
    # (or SIGNING_DEMO): a demo CA generated per install under instance/signing/; never in
    # production, which requires the directory.
    SIGNING_DIR: str | None = None
    SIGNING_DEMO = False
    SIGNING_KEY_PASSPHRASE: str | None = None  # for encrypted issuer keys
    # The address the public reaches this system at: the QR code on every document points
    # to its verification page there.
    PUBLIC_URL = "http://127.0.0.1:5000"
    # API docs (flask-smorest)
    API_TITLE = "Zhongchuang API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    PREFERRED_URL_SCHEME = "http"
    TESTING = False
    DEBUG = False

    @classmethod
    def load(cls) -> dict:
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        env = os.environ
        for key in (
            "SECRET_KEY",
            "ZC_ID_KEYS",
            "ZC_ID_HASH_KEY",
            "ZC_TODAY",
            "REDIS_URL",
            "MAIL_SERVER",
            "MAIL_USERNAME",
            "MAIL_PASSWORD",
            "MAIL_SENDER",
            "UPLOAD_DIR",
            "JOBS_QUEUE",
            "RATELIMIT_KEY_PREFIX",
        ):
            if env.get(key):
                values[key] = env[key]
        if env.get("ZC_SIGNING_DIR"):
            values["SIGNING_DIR"] = env["ZC_SIGNING_DIR"]
        if env.get("ZC_PUBLIC_URL"):
            values["PUBLIC_URL"] = env["ZC_PUBLIC_URL"].rstrip("/")
        if env.get("ZC_SIGNING_KEY_PASSPHRASE"):
            values["SIGNING_KEY_PASSPHRASE"] = env["ZC_SIGNING_KEY_PASSPHRASE"]
        if env.get("ZC_STATS_TTL"):
            values["ZC_STATS_TTL"] = int(env["ZC_STATS_TTL"])
        if env.get("PROXY_COUNT"):
            values["PROXY_COUNT"] = int(env["PROXY_COUNT"])
        if env.get("ZC_EXPOSE_WORKER"):
            values["EXPOSE_WORKER"] = env["ZC_EXPOSE_WORKER"].lower() in ("1", "true", "yes")
        if env.get("MAIL_PORT"):
            values["MAIL_PORT"] = int(env["MAIL_PORT"])
        if env.get("MAX_UPLOAD_MB"):
            values["MAX_UPLOAD_BYTES"] = int(float(env["MAX_UPLOAD_MB"]) * 1024 * 1024)
            values["MAX_CONTENT_LENGTH"] = values["MAX_UPLOAD_BYTES"] + 64 * 1024
        if env.get("DATABASE_URL"):
            values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
        if values.get("REDIS_URL"):
            values["RATELIMIT_STORAGE_URI"] = values["REDIS_URL"]
        return values


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class DevelopmentConfig(Config):
    """The embedded default: a SQLite file under instance/, demo keys, in-process jobs."""

    ENV_NAME = "development"
    DEBUG = False
    SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - demo only, production refuses it
    ZC_ID_KEYS = "ZGV2LW9ubHktaWRlbnRpdHkta2V5LW5vdC1zZWNyZXQ="  # demo only
    ZC_ID_HASH_KEY = "dev-only-hash-key"
    SQLALCHEMY_DATABASE_URI = "sqlite:///" + str(BASE_DIR / "instance" / "zhongchuang.sqlite3")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    ZC_ID_KEYS = "dGVzdC1pZGVudGl0eS1rZXktMzItYnl0ZXMtbG9uZyE="
    ZC_ID_HASH_KEY = "test-hash-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False
    LOCKOUT_THRESHOLD = 5
    ZC_STATS_TTL = 0  # tests see every change at once; the caches have tests of their own
    ZC_FILTER_CHOICES_TTL = 0

    @classmethod
    def load(cls) -> dict:
        values = super().load()
        # Tests choose their own database and date; the environment does not leak in.
        values["SQLALCHEMY_DATABASE_URI"] = cls.SQLALCHEMY_DATABASE_URI
        values["ZC_TODAY"] = None
        return values


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    JOBS_INLINE = False
    LOG_JSON = True

    @classmethod
    def load(cls) -> dict:
        values = super().load()
        missing = [
            name
            for name, key in (
                ("SECRET_KEY", "SECRET_KEY"),
                ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
                ("ZC_ID_KEYS", "ZC_ID_KEYS"),
                ("ZC_ID_HASH_KEY", "ZC_ID_HASH_KEY"),
                ("ZC_SIGNING_DIR", "SIGNING_DIR"),
            )
            if not values.get(key)
        ]
        if missing:
            raise ConfigError(
                "生产模式缺少必需的配置 / production mode needs: " + ", ".join(missing)
            )
        if not Path(values["SIGNING_DIR"]).is_dir():
            raise ConfigError(
                "签章目录不存在 / ZC_SIGNING_DIR is not a directory: " + values["SIGNING_DIR"]
            )
        values["SIGNING_DEMO"] = False  # production signs with its own keys only
        if not values.get("REDIS_URL"):
            values["JOBS_INLINE"] = True
        return values


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> dict:
    name = name or os.environ.get("ZC_ENV") or "development"
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"未知的配置 / unknown config {name!r}; use {sorted(CONFIGS)}") from exc
    return cls.load()
