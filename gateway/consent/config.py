"""Which entity type is the subject of consent decisions and which fields are its facts: read
from the gateway's configuration, so the planner and the executor name no type of their own."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.config import ConfigError
from gateway.consent.policy import ConsentPolicy


@dataclass(frozen=True, slots=True)
class WritePath:
    """One of `write_subjects` (or `read_subjects`): a root field of `type_name` (the mutation
    type, or the query type), and the path to the subject key(s) in its arguments — an argument,
    then input-object fields below it."""

    type_name: str
    field: str
    path: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, setting: str = "write_subjects") -> WritePath:
        parts = text.split(".")
        if len(parts) < 3 or not all(parts):
            raise ConfigError(
                f'[consent]: {setting} name "Type.field.argument" (or a dotted path '
                f"into an input-object argument), not {text!r}"
            )
        return cls(parts[0], parts[1], tuple(parts[2:]))

    def __str__(self) -> str:
        return ".".join((self.type_name, self.field, *self.path))


@dataclass(frozen=True, slots=True)
class ConsentConfig:
    """`[consent]` in the gateway's TOML.

    subject        the entity type decisions are about, e.g. "Child"
    key            its key field the facts are fetched by, e.g. "id"
    facts          field sets on the subject whose answers are the facts, e.g.
                   ["policyRegion", "policyPkh { activeMember facilitatorId }"]; each field's
                   subgraph is read off the supergraph (fields only the policy step selects are
                   best marked @inaccessible so that no client can)
    request_facts  root query field sets fetched once per request, e.g.
                   ["policyAgreements { parties categories }"]
    records        types decided per record below a subject, with the key field each decision
                   names them by, e.g. {AtensiCase = "id"}: one child's `cases` can hold cases
                   the asker may see and cases they may not. With a subject link,
                   {AtensiCase = {key = "id", subject = "child"}}, a record reached anywhere
                   else (a root lookup, a list of records) is decided through its subject: only
                   its key and link are fetched before the decision (the record type must then
                   be an entity whose key is that field). One record type: decisions name
                   records by key alone
    lookups        root-field arguments that look up or filter by a categorized attribute, with
                   the category they read, e.g. {"Query.childByNik.nik" = "identity.full"}: a
                   role may use one only if it holds the category by mandate
    write_subjects mutation arguments that name subjects by key, "Mutation.field.argument", or
                   a dotted path into an input-object argument ("Mutation.field.input.childId"):
                   before a mutation selecting such a field is sent, the gateway decides about
                   the subjects named; one the asker may not see (out of jurisdiction, or
                   unknown) is not written about: the field answers null with NOT_FOUND
    read_subjects  the same for query arguments, "Query.field.argument": a root field reading
                   about the subject it names (not returning it) is sent only for a subject
                   the asker may see — decided, and so recorded for the audit, like any other
                   read of it; for any other it answers null with no error, like an unknown one
    policy         where the rules come from: "module:factory", a callable returning a
                   ConsentPolicy (Satu Anak's: "auth.policy.gateway:load")
    """

    subject: str
    policy: str
    key: str = "id"
    facts: tuple[str, ...] = ()
    request_facts: tuple[str, ...] = ()
    records: Mapping[str, str] = field(default_factory=dict)
    # record type -> the field of it that leads to its subject (`records` with a subject link)
    links: Mapping[str, str] = field(default_factory=dict)
    lookups: Mapping[str, str] = field(default_factory=dict)
    write_subjects: tuple[WritePath, ...] = ()
    read_subjects: tuple[WritePath, ...] = ()

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ConsentConfig:
        unknown = set(raw) - {
            "subject",
            "key",
            "facts",
            "request_facts",
            "policy",
            "records",
            "lookups",
            "write_subjects",
            "read_subjects",
        }
        if unknown:
            raise ConfigError(f"[consent]: unknown setting(s) {', '.join(sorted(unknown))}")
        subject = raw.get("subject")
        key = raw.get("key", "id")
        if not isinstance(subject, str) or not subject or not isinstance(key, str) or not key:
            raise ConfigError("[consent]: subject and key must be type and field names")
        policy = raw.get("policy")
        if not isinstance(policy, str) or ":" not in policy:
            raise ConfigError('[consent]: policy must name a factory, "module:callable"')
        records, links = _records(raw.get("records", {}))
        lookups = raw.get("lookups", {})
        if not isinstance(lookups, Mapping) or not all(
            isinstance(k, str) and k.count(".") == 2 and isinstance(v, str) and v
            for k, v in lookups.items()
        ):
            raise ConfigError('[consent]: lookups map "Type.field.argument" to a category')
        return cls(
            subject,
            policy,
            key,
            _strings(raw, "facts"),
            _strings(raw, "request_facts"),
            records,
            links,
            dict(lookups),
            _subject_arguments(raw, "write_subjects", "Mutation"),
            _subject_arguments(raw, "read_subjects", "Query"),
        )

    def load_policy(self) -> ConsentPolicy:
        """The configured policy, built by its factory (which validates its rules: a policy that
        does not load stops the gateway from starting)."""
        module_name, _, attribute = self.policy.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ConfigError(f"[consent]: cannot load policy {self.policy}: {error}") from error
        policy: ConsentPolicy = factory()
        return policy


def _records(raw: object) -> tuple[dict[str, str], dict[str, str]]:
    """`records`: type -> key field, or type -> {key = field, subject = link field}."""
    wrong = ConfigError(
        '[consent]: records map type names to their key field, or to {key = "...", subject = "..."}'
    )
    if not isinstance(raw, Mapping):
        raise wrong
    records: dict[str, str] = {}
    links: dict[str, str] = {}
    for type_name, value in raw.items():
        if isinstance(value, Mapping):
            if set(value) - {"key", "subject"}:
                raise wrong
            key, link = value.get("key", "id"), value.get("subject")
            if not isinstance(link, str) or not link:
                raise wrong
            links[type_name] = link
        else:
            key = value
        if not isinstance(type_name, str) or not isinstance(key, str) or not key:
            raise wrong
        records[type_name] = key
    return records, links


def _subject_arguments(raw: Mapping[str, Any], setting: str, root: str) -> tuple[WritePath, ...]:
    values = raw.get(setting, ())
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'[consent]: {setting} must be a list of "{root}.field.argument"')
    found = tuple(WritePath.parse(v, setting) for v in values)
    if len(set(found)) != len(found):
        raise ConfigError(f"[consent]: {setting} names one argument twice")
    return found


def _strings(raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name, ())
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"[consent]: {name} must be a list of field sets")
    return tuple(value)
