"""Reading a supergraph: the join metadata per type and field, and the client-facing API schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLObjectType, GraphQLUnionType, print_schema

from gateway.supergraph import FieldJoin, SupergraphError, TypeJoin, parse_supergraph

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def shop() -> object:
    return parse_supergraph((FIXTURES / "shop.graphql").read_text())


def test_graphs_with_names_and_urls(shop: object) -> None:
    graphs = shop.graphs  # type: ignore[attr-defined]
    assert {g.enum_value: (g.name, g.url) for g in graphs.values()} == {
        "INVENTORY": ("inventory", "http://127.0.0.1:9001/graphql"),
        "PRODUCTS": ("products", "http://127.0.0.1:9002/graphql"),
        "REVIEWS": ("reviews", "http://127.0.0.1:9003/graphql"),
    }


def test_type_joins_keep_every_key_and_flag(shop: object) -> None:
    product = shop.types["Product"]  # type: ignore[attr-defined]
    assert TypeJoin("PRODUCTS", key="id") in product
    assert TypeJoin("REVIEWS", key="upc", extension=True) in product
    assert len(product) == 4
    node = shop.types["Node"]  # type: ignore[attr-defined]
    assert TypeJoin("REVIEWS", key="id", is_interface_object=True) in node


def test_field_joins_keep_requires_provides_and_override(shop: object) -> None:
    fields = shop.fields  # type: ignore[attr-defined]
    assert fields[("Product", "shippingEstimate")] == (
        FieldJoin("INVENTORY", requires="price weight"),
    )
    assert fields[("Review", "product")] == (FieldJoin("REVIEWS", provides="name"),)
    assert fields[("Product", "inStock")] == (
        FieldJoin("INVENTORY", override="products", override_label="percent(50)"),
        FieldJoin("PRODUCTS", used_overridden=True, override_label="percent(50)"),
    )
    assert ("Product", "upc") not in fields  # in every graph that has the type


def test_union_members_implements_and_enum_values(shop: object) -> None:
    assert ("PRODUCTS", "Article") in shop.union_members["SearchResult"]  # type: ignore[attr-defined]
    assert shop.implements["Product"] == (("PRODUCTS", "Node"),)  # type: ignore[attr-defined]
    assert shop.enum_values[("Condition", "USED")] == ("PRODUCTS",)  # type: ignore[attr-defined]


def test_api_schema_hides_machinery_and_inaccessible_elements(shop: object) -> None:
    api = shop.api_schema  # type: ignore[attr-defined]
    printed = print_schema(api)
    for hidden in (
        "join__",
        "link__",
        "@link",
        "@tag",
        "@inaccessible",
        "internalStats",
        "cost",
        "secret",
        "REFURBISHED",
        "Secret",
    ):
        assert hidden not in printed, hidden
    product = api.get_type("Product")
    assert isinstance(product, GraphQLObjectType)
    assert {"id", "upc", "name", "inStock", "shippingEstimate", "reviews", "condition"} <= set(
        product.fields
    )
    search = api.get_type("SearchResult")
    assert isinstance(search, GraphQLUnionType)
    assert [t.name for t in search.types] == ["Product", "Article"]
    assert "lowercase" in {d.name for d in api.directives}  # a client directive stays
    query = api.query_type
    assert query is not None and set(query.fields["products"].args) == {"first"}


def test_not_a_supergraph_is_a_clear_error() -> None:
    with pytest.raises(SupergraphError, match="join spec"):
        parse_supergraph("type Query { a: Int }")
    with pytest.raises(SupergraphError, match="does not parse"):
        parse_supergraph("type Query {")


def test_renamed_join_spec_is_understood() -> None:
    sdl = (FIXTURES / "shop.graphql").read_text()
    renamed = sdl.replace(
        'join/v0.5", for: EXECUTION', 'join/v0.5", as: "j", for: EXECUTION'
    ).replace("join__", "j__")
    supergraph = parse_supergraph(renamed)
    assert set(supergraph.graphs) == {"INVENTORY", "PRODUCTS", "REVIEWS"}
    assert "j__" not in print_schema(supergraph.api_schema)
