from app.needs import bp  # noqa: F401
