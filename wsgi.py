"""What gunicorn serves: `gunicorn wsgi:app` (settings from config.yaml / PADDLES_* env)."""
from paddles_mongo import create_app

app = create_app()
