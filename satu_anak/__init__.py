"""Satu Anak: command line, process supervision and synthetic data for the federation service."""
