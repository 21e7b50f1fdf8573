"""The web interface: server-rendered pages under /ui/ for people (views.py)."""
from .views import blp

__all__ = ["blp"]
