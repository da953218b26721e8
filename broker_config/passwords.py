"""Broker passwords and Mosquitto 2.0 password-file hashes.

Hashing here (PBKDF2-SHA512 via hashlib, the ``$7$`` format of Mosquitto
2.0's ``mosquitto_passwd``) means a technician's laptop needs no Mosquitto
install to provision a site.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

SALT_BYTES = 12
HASH_BYTES = 64
#: mosquitto_passwd's default; the broker hashes every CONNECT with it, so it stays small on a Pi.
DEFAULT_ITERATIONS = 101


def new_password() -> str:
    """24 url-safe characters (144 random bits): fits TOML, shells and device files unquoted."""
    return secrets.token_urlsafe(18)


def hash_password(password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """``$7$<iterations>$<base64 salt>$<base64 hash>`` as in a Mosquitto 2.0 password file."""
    if salt is None:
        salt = os.urandom(SALT_BYTES)
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, HASH_BYTES)
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"$7${iterations}${b64(salt)}${b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches a ``$7$`` hash (what the broker checks on CONNECT)."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, len(expected))
    return hmac.compare_digest(digest, expected)
