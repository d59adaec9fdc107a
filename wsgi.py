"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from collisionos import create_app

app = create_app()

# What is loaded now (models, views, templates) lives as long as the process: move it out of the garbage
# collector's generations so collections during requests do not rescan it (an estimate import: 68 -> 60 ms).
gc.collect()
gc.freeze()
