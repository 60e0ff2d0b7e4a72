"""Where the gateway benchmark's files live: this folder, the repository, the venv, the results."""

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEERS = HERE / "peers"
RESULTS = HERE / "results"
SUPERGRAPH = HERE / "supergraph.graphql"
LUA = HERE / "post.lua"
VENV = ROOT / ".venv"
