"""The audit chain's format: canonical entries, linked hashes, and C2SP signed-note checkpoints
that verify only with the right key and only untouched."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auth.audit.chain import (
    GENESIS,
    ChainError,
    Checkpoint,
    encode_entry,
    entry_hash,
    generate_signing_key,
    key_hash,
    load_signing_key,
    load_verifier_key,
    verifier_key,
)

KEY = Ed25519PrivateKey.generate()


def test_an_entry_is_canonical_json_with_its_position() -> None:
    body = encode_entry(7, {"b": 1, "a": {"z": None, "y": "é"}})
    assert body == '{"a":{"y":"é","z":null},"b":1,"seq":7}'.encode()
    assert encode_entry(7, {"a": {"y": "é", "z": None}, "b": 1}) == body  # key order ignored
    with pytest.raises(ChainError):
        encode_entry(1, {"seq": 2})


def test_each_hash_covers_the_previous_one_and_the_exact_bytes() -> None:
    first = entry_hash(GENESIS, b"one")
    assert first == hashlib.sha256(b"satu-anak audit v1\n" + bytes(32) + b"one").digest()
    second = entry_hash(first, b"two")
    assert entry_hash(entry_hash(GENESIS, b"one "), b"two") != second
    assert entry_hash(GENESIS, b"two") != second


def test_a_checkpoint_is_a_signed_note_in_checkpoint_layout() -> None:
    head = hashlib.sha256(b"head").digest()
    note = Checkpoint(42, head).sign(KEY)
    body, signatures = note.split("\n\n")
    assert body.split("\n") == ["satu-anak/audit", "42", base64.b64encode(head).decode()]
    (line,) = signatures.splitlines()
    dash, name, blob = line.split(" ")
    assert (dash, name) == ("\u2014", "satu-anak/audit")
    raw = base64.b64decode(blob)
    public = KEY.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert raw[:4] == hashlib.sha256(b"satu-anak/audit\n\x01" + public).digest()[:4]
    assert raw[:4] == key_hash("satu-anak/audit", KEY.public_key())
    KEY.public_key().verify(raw[4:], (body + "\n").encode())  # over the text, final newline too
    assert Checkpoint.verify(note, KEY.public_key()) == Checkpoint(42, head)
    assert verifier_key("satu-anak/audit", KEY.public_key()).startswith(
        f"satu-anak/audit+{raw[:4].hex()}+"
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: n.replace("\n42\n", "\n41\n"),  # another size
        lambda n: n.replace("satu-anak/audit\n", "other/audit\n", 1),  # another origin
        lambda n: n.replace("\n\n", "\n"),  # not a note
        lambda n: n.split("\n\n")[0] + "\n\n",  # unsigned
    ],
)
def test_a_changed_checkpoint_does_not_verify(tamper: object) -> None:
    note = Checkpoint(42, bytes(32)).sign(KEY)
    with pytest.raises(ChainError):
        Checkpoint.verify(tamper(note), KEY.public_key())  # type: ignore[operator]


def test_a_checkpoint_signed_by_another_key_does_not_verify() -> None:
    note = Checkpoint(3, bytes(32)).sign(Ed25519PrivateKey.generate())
    with pytest.raises(ChainError, match="no signature"):
        Checkpoint.verify(note, KEY.public_key())


def test_key_files(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    generate_signing_key(private, public)
    assert private.stat().st_mode & 0o777 == 0o600
    key = load_signing_key(private)
    note = Checkpoint(1, bytes(32)).sign(key)
    assert Checkpoint.verify(note, load_verifier_key(public)).size == 1
    assert Checkpoint.verify(note, load_verifier_key(private)).size == 1  # its public half
    with pytest.raises(ChainError):
        load_signing_key(public)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(ChainError):
        load_verifier_key(tmp_path / "junk.pem")
