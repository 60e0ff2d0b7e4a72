"""Synthetic-data generators for Satu Anak; everything here is made up, never real people."""
