"""The agencies that report data about a child, as recorded on every attribute and record."""

from __future__ import annotations

import enum


class Agency(enum.StrEnum):
    DISDUKCAPIL = "DISDUKCAPIL"
    DINSOS = "DINSOS"
    PKH = "PKH"
    BALAI = "BALAI"
    LKSA = "LKSA"
