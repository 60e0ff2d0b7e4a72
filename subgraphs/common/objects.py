"""Strawberry objects from domain records: one way for every type, field by field, by name."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import get_object_definition

T = TypeVar("T")


def _is_id(cls: type, name: str) -> bool:
    definition = get_object_definition(cls, strict=True)
    field = definition.get_field(name)
    return field is not None and field.type is strawberry.ID


def from_record(cls: type[T], record: object, **values: Any) -> T:
    """`cls` with each field taken from the attribute (or property) of the same name on `record`.

    `values` gives the fields the record holds under another name, or not at all (a stub of
    another entity, a value computed for the answer). A record's integer key becomes the text
    of an `ID` field.
    """
    arguments: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.init:  # a field with a resolver: computed when asked for
            continue
        if field.name in values:
            arguments[field.name] = values[field.name]
            continue
        value = getattr(record, field.name)
        if isinstance(value, int) and not isinstance(value, bool) and _is_id(cls, field.name):
            value = strawberry.ID(str(value))
        arguments[field.name] = value
    unknown = set(values) - set(arguments)
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    return cls(**arguments)
