"""The data categories a policy speaks of (DOMAIN.md "Data categories")."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    IDENTITY_BASIC = "identity.basic"  # name, sex, birth year, kabupaten
    IDENTITY_FULL = "identity.full"  # NIK, KK, birth date and place, parents, address, documents
    # The identity attributes other agencies recorded (`attributeReports`, `otherNames`):
    # Disdukcapil only, for purpose identity.resolution only.
    IDENTITY_REPORTS = "identity.reports"
    WELFARE_REGISTRY = "welfare.registry"  # DTKS/DTSEN membership, decile, assistance received
    PKH_MEMBERSHIP = "pkh.membership"  # family, components, facilitator
    PKH_COMPLIANCE = "pkh.compliance"  # attendance and health per period
    PROTECTION_FLAG = (
        "protection.flag"  # "an open protection case exists — contact ...", no category
    )
    PROTECTION_SUMMARY = "protection.summary"  # AMPK category, status, dates, caseworker
    PROTECTION_DETAIL = "protection.detail"  # assessments, plans, notes
    DINSOS_COMPLAINTS = "dinsos.complaints"
    DINSOS_PLACEMENTS = "dinsos.placements"
    AUDIT_LOG = "audit.log"
