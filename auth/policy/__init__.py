"""The consent policy: DOMAIN.md's rules as Cedar policies (rules/*.cedar), and the decisions the
gateway asks of them."""

from auth.policy.categories import Category
from auth.policy.engine import Basis, Decision, DenialCode, MemoStats, PolicyEngine, PolicyError
from auth.policy.facts import (
    AgreementFacts,
    BreakGlassFacts,
    CaseFacts,
    ChildFacts,
    ConsentFacts,
    FactsError,
    PkhFacts,
)

__all__ = [
    "AgreementFacts",
    "Basis",
    "BreakGlassFacts",
    "CaseFacts",
    "Category",
    "ChildFacts",
    "ConsentFacts",
    "Decision",
    "DenialCode",
    "FactsError",
    "MemoStats",
    "PkhFacts",
    "PolicyEngine",
    "PolicyError",
]
