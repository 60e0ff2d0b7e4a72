"""Disdukcapil: civil registry identity and the national child index."""
