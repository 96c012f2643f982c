"""Benchmarks that regenerate the book's tables and timings (run them as modules)."""
