"""Dinsos: social registry, complaints and Sakti Peksos responses, referrals and LKSA placements."""
