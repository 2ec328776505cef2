"""The WSGI entry for gunicorn: `gunicorn wsgi:app`. Settings come from the environment."""
from bot.app import create_app

app = create_app()
