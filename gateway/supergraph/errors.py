"""The one error reading a supergraph raises: the SDL is not one this gateway can serve."""

from __future__ import annotations


class SupergraphError(ValueError):
    """The SDL is not a supergraph this gateway can serve; the message says why."""
