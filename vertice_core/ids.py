"""Identifiers: random resource ids and heroku-style project names.

Ids are lower-case hex behind a short prefix (`asm-1f0c...`), because instance
keys derived from them must be valid names on every cloud (GCE wants
lower-case letters, digits and hyphens, starting with a letter).
"""

from __future__ import annotations

import re
import secrets

_ADJECTIVES = (
    "autumn", "hidden", "bitter", "misty", "silent", "empty", "dry", "dark", "summer",
    "icy", "delicate", "quiet", "white", "cool", "spring", "winter", "patient",
    "twilight", "dawn", "crimson", "wispy", "weathered", "blue", "billowing", "broken",
    "cold", "damp", "falling", "frosty", "green", "long", "late", "lingering", "bold",
    "little", "morning", "muddy", "old", "red", "rough", "still", "small", "sparkling",
    "shy", "wandering", "withered", "wild", "black", "young", "holy", "solitary",
    "fragrant", "aged", "snowy", "proud", "floral", "restless", "divine", "polished",
    "ancient", "purple", "lively", "nameless", "calm", "brave", "gentle", "golden",
)  # fmt: skip
_NOUNS = (
    "waterfall", "river", "breeze", "moon", "rain", "wind", "sea", "morning", "snow",
    "lake", "sunset", "pine", "shadow", "leaf", "dawn", "glitter", "forest", "hill",
    "cloud", "meadow", "sun", "glade", "bird", "brook", "butterfly", "bush", "dew",
    "dust", "field", "fire", "flower", "firefly", "feather", "grass", "haze",
    "mountain", "night", "pond", "darkness", "snowflake", "silence", "sound", "sky",
    "shape", "surf", "thunder", "violet", "water", "wildflower", "wave", "resonance",
    "wood", "dream", "cherry", "tree", "fog", "frost", "voice", "paper", "frog",
    "smoke", "star", "harbor", "canyon", "island", "valley", "comet", "ember",
)  # fmt: skip


def new_id(prefix: str) -> str:
    """A random id such as `asm-3f9a1c2b7d4e8a10` (64 random bits)."""
    return f"{prefix}-{secrets.token_hex(8)}"


def has_id_form(prefix: str, value: str) -> bool:
    """Whether `value` has the form of the ids `new_id(prefix)` makes."""
    return re.fullmatch(rf"{re.escape(prefix)}-[0-9a-f]{{16}}", value) is not None


def heroku_name() -> str:
    """A project name in the heroku style: `adjective-noun-1234`."""
    rng = secrets.SystemRandom()
    return f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randint(1000, 9999)}"
