"""Configuration, read from environment variables (see README, "Configuration")."""

import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
DEV_SECRET = "dev-only-not-secret"
MIN_SECRET_LENGTH = 16  # production refuses shorter keys


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    # A relative SQLite path lands in instance/ with Flask-SQLAlchemy 3.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///citypartner.db")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # Rendered parts of published editions (app/editions/fragments.py): in Redis when it is
    # configured, so that every worker and host shares them; else in each process's memory.
    CACHE_TYPE = "RedisCache" if REDIS_URL else "SimpleCache"
    CACHE_REDIS_URL = REDIS_URL
    CACHE_KEY_PREFIX = "cp:"
    # Per-process caches hear of a publication in another process only when entries expire.
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_SECONDS", "3600" if REDIS_URL else "300"))
    CACHE_THRESHOLD = 500  # SimpleCache: entries per process (a page's parts are ~30 kB)
    # Behind N reverse proxies, trust N X-Forwarded-* hops for the client address and scheme
    # (rate limits and the audit log's IP addresses); 0: the app faces clients directly.
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    # E-mail. MAIL_SERVER unset: messages are written to the log instead of sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "CityPartner <noreply@citypartner.local>")
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: <instance>/uploads
    MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    # A little above the largest attachment, so the form (CSRF token, fields) still fits.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 512 * 1024

    # Set explicitly: Flask-Limiter otherwise inherits the previous app's setting.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # Per account (e-mail address): this many failures within the window lock it for a while.
    LOGIN_LOCKOUT_FAILURES = int(os.environ.get("LOGIN_LOCKOUT_FAILURES", "10"))
    LOGIN_LOCKOUT_WINDOW_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_WINDOW_MINUTES", "15"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
    # The API, per token and per client address (a whole office may share one address).
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;3000 per hour")
    API_IP_RATE_LIMIT = os.environ.get("API_IP_RATE_LIMIT", "600 per minute")
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)  # idle: the cookie's expiry slides with use
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)  # then log in again, however active (ASVS 7.3.2)
    # Ended on the server after this long without a request, whatever the cookie says (ASVS 7.3.1).
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    PASSWORD_RESET_MAX_AGE = 3600
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    PER_PAGE = 20
    # Background jobs (app/services/jobs.py): RQ on Redis when set (JOB_REDIS_URL, by default
    # REDIS_URL), else in-process after the commit. A failed attempt is retried after each of
    # these delays (seconds), in turn.
    JOB_REDIS_URL = os.environ.get("JOB_REDIS_URL") or os.environ.get("REDIS_URL")
    JOB_QUEUE = os.environ.get("JOB_QUEUE", "citypartner")
    JOB_RETRY_INTERVALS = (10, 60, 300)
    JOB_TIMEOUT = int(os.environ.get("JOB_TIMEOUT", "900"))  # seconds one attempt may take
    # Financing follow-up (app/services/outcomes/): a listed need nobody has expressed interest
    # in this many days after its listing is shown to administrators; an institution that
    # leaves a new interest uncontacted this many working days (法定工作日) is reminded.
    INTEREST_ALERT_DAYS = int(os.environ.get("INTEREST_ALERT_DAYS", "30"))
    INTEREST_CONTACT_WORKDAYS = int(os.environ.get("INTEREST_CONTACT_WORKDAYS", "5"))
    INTEREST_VALIDITY_NOTICE_DAYS = int(os.environ.get("INTEREST_VALIDITY_NOTICE_DAYS", "7"))
    INTEREST_BOARD_CARDS = int(os.environ.get("INTEREST_BOARD_CARDS", "12"))
    INTEREST_EXPORT_MAX = int(os.environ.get("INTEREST_EXPORT_MAX", "5000"))
    # A job still running after this long (seconds) was left so by a worker that stopped
    # mid-job: `flask jobs requeue` and each worker's start put it back in the queue.
    JOB_STALE_AFTER = int(os.environ.get("JOB_STALE_AFTER", "900"))
    BOOTSTRAP_SERVE_LOCAL = True
    REQUIRE_SECOND_APPROVAL = _bool("REQUIRE_SECOND_APPROVAL", False)

    API_TITLE = "CityPartner API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    SITE_URL = "http://localhost"
    JOB_REDIS_URL = None  # jobs run in-process; the tests of the RQ worker set it themselves
    CACHE_TYPE = "SimpleCache"  # each test starts from an empty cache (tests/conftest.py)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    REQUIRE_SECOND_APPROVAL = _bool("REQUIRE_SECOND_APPROVAL", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
