"""A supergraph using `@fromContext` (Federation 2.8) is refused at start-up with a message naming
each argument, never served: this gateway does not fill arguments from an ancestor's data, so it
would ask for the field without its argument (a silently wrong answer). `@context` alone changes
no plan and is served. The supergraphs are composed by our composer from the context fixture."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.supergraph import SupergraphError, parse_supergraph
from gateway.supergraph.support import unsupported_features
from satu_anak.cli import main as satu_anak
from tests.auth.auth_support import free_port

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = ROOT / "tests" / "composition" / "fixtures" / "context"
REFUSAL = (
    "this gateway does not implement @context/@fromContext (Federation 2.8) and would plan these "
    "fields without their arguments: Cart.total($currency) in subgraph 'pricing' takes its value "
    "@fromContext 'pricing__buyer'. Compose the supergraph from subgraphs that do not use "
    "@fromContext."
)


def _composed(*names: str) -> str:
    result = compose(
        [
            SubgraphSource(
                name, f"http://127.0.0.1/{name}", (CONTEXT / f"{name}.graphql").read_text()
            )
            for name in names
        ]
    )
    assert result.errors == [] and result.supergraph_sdl is not None
    return result.supergraph_sdl


@pytest.fixture(scope="module")
def with_from_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("context") / "supergraph.graphql"
    path.write_text(_composed("accounts", "pricing"))
    return path


def test_a_supergraph_with_from_context_is_read_but_not_served(with_from_context: Path) -> None:
    supergraph = parse_supergraph(with_from_context.read_text())  # reading it still works
    assert unsupported_features(supergraph) == [
        "Cart.total($currency) in subgraph 'pricing' takes its value @fromContext 'pricing__buyer'"
    ]
    with pytest.raises(SupergraphError) as refused:
        Gateway(supergraph)
    assert str(refused.value) == REFUSAL


def test_context_without_from_context_is_served() -> None:
    supergraph = parse_supergraph(_composed("accounts"))  # @context(name: "shopper"), no reader
    assert "@context" in supergraph.sdl
    assert unsupported_features(supergraph) == []
    assert "me {" in Gateway(supergraph).plan_text("{ me { currency } }")


def test_the_commands_refuse_it_in_one_line(
    with_from_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert satu_anak(["plan", "--supergraph", str(with_from_context), "{ me { id } }"]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"{with_from_context}: {REFUSAL}\n")

    # `satu-anak gateway` stops before it listens (a real process: were it served, it would
    # run until the timeout).
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("SATU_ANAK_AUTH_ISSUER", "SATU_ANAK_GRANT_KEY", "SATU_ANAK_AUDIT_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "satu_anak.cli", "gateway", "--supergraph"]
    done = subprocess.run(
        [*command, str(with_from_context), "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{with_from_context}: {REFUSAL}\n"
