"""Loading the policies: every policy validated against the schema; anything wrong stops the
engine from loading (and so the gateway from starting) with the validator's message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from auth.policy import Category, PolicyEngine, PolicyError
from auth.policy.engine import RULES
from auth.purposes import Role
from tests.auth.policy.policy_support import NOW, child, family, officer


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_policies_load_and_every_policy_has_an_id() -> None:
    engine = PolicyEngine.load()
    assert {"jurisdiction", "sppa.identity", "pkh.always", "balai.never"} <= engine.policy_ids
    assert len(engine.policy_ids) == 46  # 31 read policies, 15 write policies
    assert {
        "write.linkNik",
        "write.reviewBreakGlass",
        "write.guardianAccessView",
    } <= engine.policy_ids


def test_a_copy_loads_the_same(rules: Path) -> None:
    assert PolicyEngine.load(rules).policy_ids == PolicyEngine.load().policy_ids


def test_unknown_context_attribute(rules: Path) -> None:
    _edit(rules / "30-pkh.cedar", "context.own_family", "context.own_familly")
    with pytest.raises(
        PolicyError, match=r"30-pkh\.cedar.*pkh\.facilitator\.own_families.*own_familly"
    ):
        PolicyEngine.load(rules)


def test_type_error(rules: Path) -> None:
    _edit(
        rules / "10-jurisdiction.cedar",
        "unless { context.in_jurisdiction }",
        "unless { context.purpose }",
    )
    with pytest.raises(PolicyError, match=r"10-jurisdiction\.cedar.*\[jurisdiction\]"):
        PolicyEngine.load(rules)


def test_syntax_error(rules: Path) -> None:
    _edit(rules / "80-sppa.cedar", "forbid (principal, action", "forbid (principal action")
    with pytest.raises(PolicyError, match=r"80-sppa\.cedar"):
        PolicyEngine.load(rules)


def test_misspelt_role_or_category(rules: Path) -> None:
    _edit(rules / "30-pkh.cedar", 'Role::"pkh_facilitator"', 'Role::"pkh_fasilitator"')
    with pytest.raises(PolicyError, match="pkh_fasilitator"):
        PolicyEngine.load(rules)
    shutil.copy(RULES / "30-pkh.cedar", rules / "30-pkh.cedar")
    _edit(rules / "50-dinsos.cedar", 'Category::"pkh.compliance"', 'Category::"pkh.complience"')
    with pytest.raises(PolicyError, match=r"pkh\.complience"):
        PolicyEngine.load(rules)


def test_a_policy_without_an_id_or_a_repeated_id(rules: Path) -> None:
    _edit(rules / "70-oversight.cedar", '@id("auditor.audit_log")\n', "")
    with pytest.raises(PolicyError, match="without an @id"):
        PolicyEngine.load(rules)
    _edit(rules / "70-oversight.cedar", '@id("oversight.never")', '@id("pkh.never")')
    shutil.copy(RULES / "70-oversight.cedar", rules / "70-oversight.cedar")
    _edit(rules / "70-oversight.cedar", '@id("oversight.never")', '@id("pkh.never")')
    with pytest.raises(PolicyError, match="two policies"):
        PolicyEngine.load(rules)


def test_conceal_only_on_forbid(rules: Path) -> None:
    _edit(rules / "60-balai.cedar", '@id("balai.always")\n', '@id("balai.always")\n@conceal\n')
    with pytest.raises(PolicyError, match="only a forbid"):
        PolicyEngine.load(rules)


def test_broken_schema_or_data(rules: Path) -> None:
    _edit(rules / "schema.cedarschema", "entity Category;", "entity Category")
    with pytest.raises(PolicyError, match="schema"):
        PolicyEngine.load(rules)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('ALYATAMA = ["15"]', 'ALYATAMA = ["15.x"]', "bad region code"),
        ('"pkh_coordinator"]', '"pkh_coordinatr"]', "unknown roles"),
        ("max_hours = 24", "max_hours = 48", "max_hours"),
        ("[groups]", "[grups]", "missing or malformed"),
        # Only facts whose absence can only deny may be left unread, and only by agency names.
        ('policyPkh = ["pkh"]', 'policyCases = ["balai"]', "may be left unread"),
        ('policyPkh = ["pkh"]', 'policyPkh = ["pkh_facilitator"]', "may be left unread"),
    ],
)
def test_broken_data(rules: Path, old: str, new: str, message: str) -> None:
    _edit(rules / "data.toml", old, new)
    with pytest.raises(PolicyError, match=message):
        PolicyEngine.load(rules)


def test_no_policies(tmp_path: Path) -> None:
    shutil.copy(RULES / "schema.cedarschema", tmp_path)
    shutil.copy(RULES / "data.toml", tmp_path)
    with pytest.raises(PolicyError, match="no"):
        PolicyEngine.load(tmp_path)


def test_the_policies_decide_not_the_code(rules: Path) -> None:
    """Dropping the SPPA identity forbid from the files changes the decision: it is the policy
    file, not Python, that denies."""
    facts = child(dinsos_conflict_with_law=True, pkh=family())
    full = Category.IDENTITY_FULL
    fac = officer(Role.PKH_FACILITATOR)
    assert (
        not PolicyEngine.load(rules)
        .decide(fac, "pkh.verification", facts, [full], agreements=(), now=NOW)[full]
        .allowed
    )
    text = (rules / "80-sppa.cedar").read_text()
    start = text.index('@id("sppa.identity")')
    end = text.index('@id("sppa.case")')
    (rules / "80-sppa.cedar").write_text(text[:start] + text[end:])
    assert (
        PolicyEngine.load(rules)
        .decide(fac, "pkh.verification", facts, [full], agreements=(), now=NOW)[full]
        .allowed
    )


def test_a_write_policy_naming_an_unknown_mutation_is_refused(rules: Path) -> None:
    path = rules / "90-writes.cedar"
    path.write_text(path.read_text().replace('Mutation::"linkNik"', 'Mutation::"linkNIK"', 1))
    with pytest.raises(PolicyError, match="linkNIK"):
        PolicyEngine.load(rules)
