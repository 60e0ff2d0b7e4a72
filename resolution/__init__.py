"""Identity resolution: which registry (SIAK) person an undocumented child might be, and why.

Modules (each owns one concern; see docs/identity-resolution.md and bench/identity/README.md):

- ``names``     name knowledge: normalization, the spelling reforms, honorifics and prefixes,
                nicknames, phonetic keys. The matcher, the blocking keys and the synthetic
                generator all use it; there is no other name normalizer.
- ``records``   the two sides of a comparison: a child as the agencies recorded it
                (``ChildRecord``) and a registry person (``RegistryRecord``).
- ``blocking``  the keys a registry person is filed under (indexed columns of Disdukcapil's
                ``person`` table) and the keys a child record is looked up by.
- ``compare``   per-attribute comparison levels.
- ``model``     the learned weights (``weights.json``), scoring, calibration, explanation.
- ``train``     re-learning the weights (``satu-anak identity train``).
- ``store``     candidate retrieval and scoring against a database.
- ``bulk``      ``satu-anak identity import-registry``.
- ``batch``     ``satu-anak identity match``.
"""
