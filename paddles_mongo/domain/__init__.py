"""Business rules of paddles, free of Flask and of MongoDB."""
