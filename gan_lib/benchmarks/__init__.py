"""Benchmarks that regenerate the tables of the book (run them as modules)."""
