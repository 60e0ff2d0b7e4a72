"""Who asks: the principal a verified token's claims describe, and the mapping from claims to it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from auth.errors import InvalidClaims, RoleNotAllowed
from auth.purposes import ROLE_AGENCY, Agency, Role

# A Kemendagri region code or a prefix of one: 14 (province), 14.71 (kabupaten/kota),
# 14.71.10 (kecamatan), 14.71.10.1004 (desa/kelurahan).
REGION_CODE: Final = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
ROLE_HEADER: Final = "x-satu-anak-role"
_MAX_TEXT: Final = 256  # longer claim values are refused: they end up in logs and audit records
_MAX_ITEMS: Final = 100  # roles or regions in one token


@dataclass(frozen=True, slots=True)
class ClaimNames:
    """Which token claim carries each attribute (an identity provider's mappers choose them)."""

    subject: str = "sub"
    name: str = "name"
    roles: str = "roles"
    agency: str = "agency"
    unit: str = "unit"
    regions: str = "regions"
    staff_id: str = "staff_id"


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a request, acting in one role."""

    subject: str
    name: str
    roles: tuple[Role, ...]  # every Satu Anak role the token carries, in its order
    role: Role  # the acting role: the only one any decision uses (roles never add up)
    agency: Agency
    unit: str | None  # the Balai code, Dinsos office, PKH area... or None
    regions: tuple[str, ...]  # region-code prefixes of the jurisdiction ("14", "14.71")
    staff_id: str | None  # the id the agency's own records use for this person

    def covers(self, region_code: str) -> bool:
        """Whether `region_code` lies inside one of the principal's region prefixes."""
        return region_within(region_code, self.regions)


def region_within(region: str | None, prefixes: Iterable[str]) -> bool:
    """Whether `region` lies inside one of the region-code `prefixes`, on whole parts ("14"
    holds "14.71.10", "14.7" holds nothing); no region lies inside anything."""
    if region is None:
        return False
    return any(region == p or region.startswith(p + ".") for p in prefixes)


def principal_from_claims(
    claims: Mapping[str, object],
    names: ClaimNames = ClaimNames(),
    requested_role: str | None = None,
) -> Principal:
    """The principal of verified `claims`, acting as `requested_role` (the `x-satu-anak-role`
    header) or, without one, as the token's first Satu Anak role.

    Raises InvalidClaims (401) for a missing or ill-typed claim, RoleNotAllowed (403) when the
    token carries no Satu Anak role, the requested role is not one of its roles, or the acting
    role belongs to another agency than the token's `agency`.
    """
    # Every claim's form first (401), then what the role allows (403).
    subject = _required_text(claims, names.subject)
    try:
        agency = Agency(_required_text(claims, names.agency))
    except ValueError:
        raise InvalidClaims(f"claim:{names.agency}") from None
    if claims.get(names.roles) is None:
        raise InvalidClaims(f"claim:{names.roles}")
    held = _strings(claims, names.roles)
    regions = _regions(claims, names.regions)
    staff_id = claims.get(names.staff_id)
    if isinstance(staff_id, int) and not isinstance(staff_id, bool):
        staff_id = str(staff_id)  # some providers emit a numeric attribute as a JSON number
    staff_id = _text(staff_id, names.staff_id)
    name = _text(claims.get(names.name), names.name) or subject
    unit = _text(claims.get(names.unit), names.unit)

    roles = _satu_anak_roles(held)
    role = _acting_role(roles, requested_role)
    if ROLE_AGENCY[role] is not agency:
        raise RoleNotAllowed("agency_mismatch")
    return Principal(subject, name, roles, role, agency, unit, regions, staff_id)


def _text(value: object, name: str) -> str | None:
    """An optional text claim: absent or empty is None; anything but short printable text fails."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _MAX_TEXT or not value.isprintable():
        raise InvalidClaims(f"claim:{name}")
    return value


def _required_text(claims: Mapping[str, object], name: str) -> str:
    value = _text(claims.get(name), name)
    if value is None:
        raise InvalidClaims(f"claim:{name}")
    return value


def _strings(claims: Mapping[str, object], name: str) -> list[str]:
    """A claim holding one string or a list of strings (providers emit either)."""
    value = claims.get(name)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list)
        or len(items) > _MAX_ITEMS
        or not all(isinstance(item, str) and 0 < len(item) <= _MAX_TEXT for item in items)
    ):
        raise InvalidClaims(f"claim:{name}")
    return items


def _satu_anak_roles(held: list[str]) -> tuple[Role, ...]:
    known = {role.value: role for role in Role}
    # Providers add roles of their own (Keycloak's offline_access...): those are not ours, skip.
    roles = tuple(dict.fromkeys(known[r] for r in held if r in known))
    if not roles:
        raise RoleNotAllowed("no_role")
    return roles


def _acting_role(roles: tuple[Role, ...], requested: str | None) -> Role:
    if not requested:
        return roles[0]
    for role in roles:
        if role.value == requested:
            return role
    # Asking for a role the token lacks is refused, not answered under another role.
    raise RoleNotAllowed("role_not_held")


def _regions(claims: Mapping[str, object], name: str) -> tuple[str, ...]:
    regions = _strings(claims, name)
    if not all(REGION_CODE.fullmatch(code) for code in regions):
        raise InvalidClaims(f"claim:{name}")
    return tuple(dict.fromkeys(regions))
