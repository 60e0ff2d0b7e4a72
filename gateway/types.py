"""Plain types the gateway's stages share: JSON values, response paths, flatten paths."""

from __future__ import annotations

from typing import Any

# A JSON object as decoded from a request or a subgraph's answer.
JsonObject = dict[str, Any]

# Where in the response a value sits: response keys and list indexes.
ResponsePath = list[str | int]

# One step in a flatten path: a response key, or "@" for every element of a list.
Path = tuple[str, ...]
