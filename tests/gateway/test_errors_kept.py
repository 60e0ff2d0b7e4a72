"""A subgraph's errors and the gateway's own shaping errors are answered together."""

from __future__ import annotations

from tests.gateway.gateway_support import FakeSubgraphs, execute


def test_shaping_errors_are_kept_when_a_subgraph_also_erred() -> None:
    fakes = FakeSubgraphs(
        {
            "products": lambda _d, _v: {
                "data": {
                    "products": [
                        {"__typename": "Product", "upc": "1", "price": "not a number", "weight": 2}
                    ]
                }
            },
            "inventory": lambda _d, _v: {
                "data": {"_entities": [None]},
                "errors": [{"message": "stock service failed", "path": ["_entities", 0]}],
            },
        }
    )
    body = execute("shop.graphql", "{ products { upc price shippingEstimate } }", fakes)
    messages = [e["message"] for e in body["errors"]]
    assert "stock service failed" in messages  # the subgraph's
    assert "Invalid value found for field Product.price." in messages  # the shaper's
    assert body["data"] == {"products": [{"upc": "1", "price": None, "shippingEstimate": None}]}
