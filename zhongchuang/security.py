"""Identity-number vault and token hashing. No Flask: the keys are passed in.

Identity numbers are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). Several keys may be
configured, newest first: new values use the first, old ones still decrypt, and
``rotate`` re-encrypts under the newest (``flask ids rotate-key``). A keyed HMAC-SHA256
gives a stable look-up hash for duplicate detection that does not reveal the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class VaultError(RuntimeError):
    pass


def _fernet_key(material: str) -> bytes:
    """Accept a Fernet key (urlsafe base64 of 32 bytes), or derive one from a passphrase."""
    raw = material.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


class IdentityVault:
    def __init__(self, keys: str, hash_key: str) -> None:
        materials = [k for k in (keys or "").split(",") if k.strip()]
        if not materials:
            raise VaultError("ZC_ID_KEYS is empty: identity numbers cannot be stored")
        if not hash_key:
            raise VaultError("ZC_ID_HASH_KEY is empty")
        self._fernet = MultiFernet([Fernet(_fernet_key(m)) for m in materials])
        self._hash_key = hash_key.encode()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VaultError("cannot decrypt: no configured key fits") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.upper().encode(), hashlib.sha256).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_fernet_key() -> str:
    return Fernet.generate_key().decode()
