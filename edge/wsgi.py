"""WSGI entry for running gunicorn by hand: gunicorn -k gthread -w 1 --threads 64 edge.wsgi:app
(the database comes from FLOORSCAN_DATABASE)."""
from edge.app import create_app

app = create_app()
