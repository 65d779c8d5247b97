"""Seeded draws: the few random primitives every part of the generator uses.

Why not ``random.choice`` and friends: these are measurably faster in the hot loop and, more
importantly, they consume the RNG in a fixed way that the committed demo alerts depend on. Do not
"simplify" them into the standard helpers: the output would change.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

_T = TypeVar("_T")

#: What Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
RS_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: AWS access key and principal id characters (base32).
UPPER32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

_TRANSLATE: dict[str, bytes] = {}


def pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    """``rng.choice`` without its rejection sampling: 3x faster, equally deterministic."""
    return seq[int(rng.random() * len(seq))]


def between(rng: random.Random, lo: int, hi: int) -> int:
    """``rng.randint(lo, hi)``, the fast way (see ``pick``)."""
    return lo + int(rng.random() * (hi - lo + 1))


def token(rng: random.Random, n: int, alphabet: str = TOKEN_ALPHABET) -> str:
    """``n`` characters of ``alphabet``: random bytes mapped through a 256-entry table."""
    table = _TRANSLATE.get(alphabet)
    if table is None:
        table = _TRANSLATE[alphabet] = bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))
    return rng.getrandbits(8 * n).to_bytes(n, "little").translate(table).decode("ascii")


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID from the seeded RNG; same text as ``str(uuid.UUID(int=n, version=4))``."""
    n = rng.getrandbits(128)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    n = (n & ~(0xF000 << 64)) | (4 << 76)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_digits(rng: random.Random, n: int) -> str:
    """``n`` lowercase hex digits (container ids, subnet and instance ids)."""
    return f"{rng.getrandbits(4 * n):0{n}x}"


def zipf_cum(n: int, s: float) -> list[float]:
    """Cumulative Zipf(s) weights for ranks 1..n, for ``bisect`` sampling."""
    total, cum = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        cum.append(total)
    return cum
