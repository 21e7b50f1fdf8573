"""Benchmarks of paddles-mongo (or any paddles) over HTTP: `python -m benchmarks --help`."""
