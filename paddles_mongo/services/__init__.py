"""Reads and writes of runs and jobs: the domain rules applied to MongoDB collections.
No Flask here; callers pass the Database and settings."""
