"""WSGI entry point: ``gunicorn wsgi:app``, ``flask --app wsgi``."""

from zhongchuang import create_app

app = create_app()
