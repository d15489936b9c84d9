"""Keyed pseudonyms of personal identifiers (device ids, IPs, content fingerprints) for derived tables.

A pseudonym is HMAC-SHA256 (RFC 2104) of the identifier under a secret key, computed with Spark built-ins
only (no Python UDF): `sha2(opad_key || unhex(sha2(ipad_key || value)))`, where the padded keys are
constants derived on the driver. Equal identifiers get equal pseudonyms (joins and counts still work);
without the key nobody can test a guessed IP or device id against them, which a plain `sha2(value)` allows
(the IPv4 space is 2^32 guesses). docs/privacy.md says which tables hold identifiers and how the key is kept.

Pure: the key is passed in (`key_from_env` reads it for a job); features/ and models/ may import this.
"""

from __future__ import annotations

import hashlib
import logging
import os

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

log = logging.getLogger("creator_governance")

# Used when the configured environment variable is unset: public, so its pseudonyms protect nothing.
DEV_KEY = b"creator-governance development key (public, not secret)"
BLOCK_BYTES = 64  # SHA-256's block size
PSEUDONYM_HEX_DIGITS = 32  # 128 bits: collisions stay negligible far beyond billions of identifiers


def key_from_env(env_name: str) -> bytes:
    """The pseudonym key from environment variable `env_name` (tables.pseudonym_key_env), or the public
    development key with a warning when it is unset or empty."""
    value = os.environ.get(env_name, "")
    if not value:
        log.warning("%s is not set: pseudonyms use the public development key, which protects nothing; "
                    "set it to a secret before processing real data (docs/privacy.md)", env_name)
        return DEV_KEY
    return value.encode("utf-8")


def hmac_sha256_hex(value: Column, key: bytes) -> Column:
    """HMAC-SHA256 of the UTF-8 bytes of `value` under `key`, as 64 lower-case hex digits; null for null."""
    if len(key) > BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK_BYTES, b"\0")
    inner_key = bytearray(b ^ 0x36 for b in key)
    outer_key = bytearray(b ^ 0x5C for b in key)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_key), value.cast("string").cast("binary")), 256))
    return F.sha2(F.concat(F.lit(outer_key), inner), 256)


def pseudonym(value: Column, key: bytes, *, kind: str) -> Column:
    """`<kind>_<first 32 hex digits of the HMAC>`, e.g. `device_3f9a…`; null for null. The prefix keeps a
    device pseudonym from being read as an IP's."""
    digest = F.substring(hmac_sha256_hex(value, key), 1, PSEUDONYM_HEX_DIGITS)
    return F.when(value.isNotNull(), F.concat(F.lit(f"{kind}_"), digest))


def with_pseudonyms(df: DataFrame, columns: dict[str, str], *, key: bytes) -> DataFrame:
    """`df` with each column named in `columns` (column -> kind) replaced by its pseudonym, in place."""
    return df.withColumns({c: pseudonym(F.col(c), key, kind=kind) for c, kind in columns.items()})
