def register_api(app):
    """Registered by the API module once written."""
