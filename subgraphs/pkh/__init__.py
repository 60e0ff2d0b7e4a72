"""PKH: Program Keluarga Harapan membership, conditionality and payments."""
