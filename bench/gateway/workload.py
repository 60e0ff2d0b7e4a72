"""The benchmark's one operation (`TestQuery`, as in The Guild's k6 script) and its expected answer.

The expected answer is computed here straight from the subgraphs' data (no gateway involved), so
every gateway is checked against the same independent reference.
"""

from __future__ import annotations

from typing import Any

import orjson

from subgraphs import IN_STOCK, PRODUCTS, REVIEWS, USERS

QUERY = """\
fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
"""

BODY = orjson.dumps({"query": QUERY, "operationName": "TestQuery"})

Json = dict[str, Any]


def _user(uid: str) -> Json:
    row = next(u for u in USERS if u["id"] == uid)
    return {"id": row["id"], "username": row["username"], "name": row["name"]}


def _product(upc: str) -> Json:
    row = next(p for p in PRODUCTS if p[0] == upc)
    return {
        "inStock": IN_STOCK[upc],
        "name": row[1],
        "price": row[2],
        "shippingEstimate": None,  # the inventory quirk: always null
        "upc": upc,
        "weight": row[3],
    }


def _reviews_of_product(upc: str) -> list[tuple[str, str, str]]:
    return [r for r in REVIEWS if r[2] == upc]


def _user_reviews() -> list[tuple[str, str, str]]:
    return REVIEWS[:2]  # whoever the user is


def _author_block() -> Json:
    # every review's author is user 1 (username provided by reviews: "urigo", as in accounts)
    return {
        **_user("1"),
        "reviews": [{"id": r[0], "body": r[1], "product": _product(r[2])} for r in _user_reviews()],
    }


def expected() -> Json:
    users = [
        {
            **_user(str(u["id"])),
            "reviews": [
                {
                    "id": r[0],
                    "body": r[1],
                    "product": {
                        **_product(r[2]),
                        "reviews": [
                            {"id": pr[0], "body": pr[1], "author": _author_block()}
                            for pr in _reviews_of_product(r[2])
                        ],
                    },
                }
                for r in _user_reviews()
            ],
        }
        for u in USERS
    ]
    top = [
        {
            **_product(p[0]),
            "reviews": [
                {"id": r[0], "body": r[1], "author": _author_block()}
                for r in _reviews_of_product(p[0])
            ],
        }
        for p in PRODUCTS[:5]
    ]
    return {"data": {"users": users, "topProducts": top}}
