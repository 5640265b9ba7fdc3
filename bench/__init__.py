"""Benchmark harness: sitegen against Hugo and Pelican on the same synthetic papers."""
