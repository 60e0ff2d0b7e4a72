"""Balai: ATENSI case management of AMPK children at the Kemensos Balai Rehabilitasi Sosial Anak."""
