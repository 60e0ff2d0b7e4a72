"""The audit chain's format: how a record becomes an entry, how entries are linked, and the signed
checkpoints that make truncation and rollback provable (not only edits).

An entry is the record as canonical JSON (sorted keys, no whitespace) with its position `seq`
inside it. Each entry's hash covers the previous entry's hash and the entry's exact bytes:

    hash(seq) = SHA-256("satu-anak audit v1\\n" || hash(seq - 1) || body(seq)),  hash(0) = 32 zero bytes

so an entry cannot be altered, removed, moved or slipped in without every later hash changing.
What the chain cannot show on its own — that its tail was cut off, or the whole chain rewritten
from some point on — is what checkpoints are for: "the chain held `size` entries and its head
hash was H", signed with the audit key. They use the signed-note format of C2SP
(https://c2sp.org/signed-note) with a body laid out like a C2SP checkpoint (origin, size,
base64 hash); the hash is the chain's head hash, not a Merkle tree root.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DOMAIN: Final = b"satu-anak audit v1\n"
GENESIS: Final = bytes(32)
ORIGIN: Final = "satu-anak/audit"
# The signed-note signature type of Ed25519 keys (c2sp.org/signed-note).
_ED25519: Final = b"\x01"
_EM_DASH: Final = "\u2014"


class ChainError(ValueError):
    """A checkpoint or key that cannot be read or does not verify."""


def encode_entry(seq: int, record: Mapping[str, Any]) -> bytes:
    """The entry's exact bytes: the record with its position, as canonical JSON."""
    if "seq" in record:
        raise ChainError("a record may not carry its own seq")
    return orjson.dumps({**record, "seq": seq}, option=orjson.OPT_SORT_KEYS)


def entry_hash(previous: bytes, body: bytes) -> bytes:
    return hashlib.sha256(DOMAIN + previous + body).digest()


# --- keys ---------------------------------------------------------------------------------------


def load_signing_key(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ChainError(f"cannot read the audit signing key {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ChainError(f"{path} does not hold an Ed25519 private key")
    return key


def load_verifier_key(path: str | Path) -> Ed25519PublicKey:
    """A public key (PEM) — or the private key's file, whose public half is taken."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ChainError(f"cannot read the audit key {path}: {error.strerror}") from None
    try:
        key: Any = serialization.load_pem_public_key(raw)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(raw, password=None)
        except (ValueError, TypeError):
            raise ChainError(f"{path} holds no PEM Ed25519 key") from None
        if isinstance(key, Ed25519PrivateKey):
            key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise ChainError(f"{path} does not hold an Ed25519 key")
    return key


def generate_signing_key(private_path: Path, public_path: Path) -> None:
    """A fresh Ed25519 audit key pair as PEM files: the private one readable by its owner only."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_hash(name: str, key: Ed25519PublicKey) -> bytes:
    """The signed-note key hash: the first 4 bytes of SHA-256(name || "\\n" || 0x01 || key)."""
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + _raw(key)).digest()[:4]


def verifier_key(name: str, key: Ed25519PublicKey) -> str:
    """The key as a signed-note verifier key: `name+hash+base64(0x01 || key)`."""
    return f"{name}+{key_hash(name, key).hex()}+{base64.b64encode(_ED25519 + _raw(key)).decode()}"


# --- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain held `size` entries and its head hash was `head` (GENESIS for none)."""

    size: int
    head: bytes
    origin: str = ORIGIN

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.head).decode()}\n"

    def sign(self, key: Ed25519PrivateKey, name: str = ORIGIN) -> str:
        """The checkpoint as a signed note: body, blank line, one signature line."""
        body = self.body()
        signature = key.sign(body.encode())
        blob = base64.b64encode(key_hash(name, key.public_key()) + signature).decode()
        return f"{body}\n{_EM_DASH} {name} {blob}\n"

    @classmethod
    def verify(cls, note: str, key: Ed25519PublicKey, name: str = ORIGIN) -> Checkpoint:
        """The checkpoint of a signed note, when `key` (named `name`) signed it; else ChainError."""
        body, separator, signatures = note.partition("\n\n")
        if not separator or not body:
            raise ChainError("not a signed note: no blank line between text and signatures")
        body += "\n"
        wanted = key_hash(name, key)
        for line in signatures.splitlines():
            parts = line.split(" ")
            if len(parts) != 3 or parts[0] != _EM_DASH or parts[1] != name:
                continue
            try:
                blob = base64.b64decode(parts[2], validate=True)
            except (binascii.Error, ValueError):
                continue
            if len(blob) != 4 + 64 or blob[:4] != wanted:
                continue
            try:
                key.verify(blob[4:], body.encode())
            except InvalidSignature:
                raise ChainError("the checkpoint's signature does not verify") from None
            checkpoint = cls._parse(body)
            if checkpoint.origin != ORIGIN:
                raise ChainError(f"the checkpoint is of {checkpoint.origin!r}, not {ORIGIN!r}")
            return checkpoint
        raise ChainError(f"the checkpoint carries no signature by {name} with this key")

    @classmethod
    def _parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or not (lines[1].isascii() and lines[1].isdigit()):
            raise ChainError("the checkpoint's text is not origin, size, hash")
        try:
            head = base64.b64decode(lines[2], validate=True)
        except (binascii.Error, ValueError):
            raise ChainError("the checkpoint's hash is not base64") from None
        if len(head) != 32:
            raise ChainError("the checkpoint's hash is not 32 bytes")
        return cls(int(lines[1]), head, lines[0])
