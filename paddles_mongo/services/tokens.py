"""Write tokens (the `auth_tokens` setting): a YAML file of token hashes, names and scopes,
managed by scripts/token and read by the service at start and on reload.

A token is 32 random bytes (URL-safe base64, prefixed `pdl_`): only its SHA-256 is stored,
which is enough for a secret of that strength (a slow password hash protects guessable
secrets). A presented token is hashed and compared with every stored hash in constant time.
"""
import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

import yaml

from ..exceptions import InvalidInput

# report: run and job writes (deletes included); lock: node and lock writes; admin: all of
# those, node deletes and queue administration.
SCOPES = ("report", "lock", "admin")
TOKEN_PREFIX = "pdl_"
FILE_HEADER = ("# paddles-mongo write tokens (scripts/token): SHA-256 hashes only; the tokens "
               "were shown once, at creation.\n")


@dataclass(frozen=True)
class Token:
    name: str
    sha256: str
    scopes: tuple
    created: str = ""

    def allows(self, scope):
        return "admin" in self.scopes or scope in self.scopes


@dataclass
class TokenSet:
    tokens: list = field(default_factory=list)

    def authenticate(self, presented):
        """The Token `presented` is, or None. Every stored hash is compared, each in constant
        time, so the answer's timing tells nothing of which (or whether one) matched."""
        digest = token_hash(presented)
        found = None
        for token in self.tokens:
            if hmac.compare_digest(digest, token.sha256) and found is None:
                found = token
        return found


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def parse_scopes(text):
    scopes = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in scopes if name not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(f"unknown scope {', '.join(unknown) or repr(text)}; "
                           f"scopes: {', '.join(SCOPES)}")
    return scopes


def load_tokens(path):
    """The TokenSet of the file at `path` (a missing file: none). Raises InvalidInput on a
    malformed file."""
    try:
        with open(path) as token_file:
            data = yaml.safe_load(token_file) or {}
    except FileNotFoundError:
        return TokenSet()
    entries = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: expected a mapping with a `tokens` list")
    tokens = []
    for entry in entries:
        try:
            tokens.append(Token(name=str(entry["name"]), sha256=str(entry["sha256"]),
                                scopes=parse_scopes(",".join(entry["scopes"])),
                                created=str(entry.get("created", ""))))
        except (KeyError, TypeError):
            raise InvalidInput(f"{path}: each token needs name, sha256 and scopes") from None
    return TokenSet(tokens)


def save_tokens(path, token_set):
    """Write the file whole and replace the old one at once (readable by its owner only)."""
    entries = [{"name": token.name, "sha256": token.sha256, "scopes": list(token.scopes),
                "created": token.created} for token in token_set.tokens]
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tokens-")
    try:
        with os.fdopen(handle, "w") as token_file:
            token_file.write(FILE_HEADER)
            yaml.safe_dump({"tokens": entries}, token_file, sort_keys=False)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def create_token(path, name, scopes):
    """Add a token named `name` with `scopes` (a comma-separated text); returns the token, which
    is stored nowhere."""
    token_set = load_tokens(path)
    if any(token.name == name for token in token_set.tokens):
        raise InvalidInput(f"a token named {name} exists; revoke it first")
    if not name or any(character.isspace() for character in name):
        raise InvalidInput("a token name is one word")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat()
    token_set.tokens.append(Token(name, token_hash(secret), parse_scopes(scopes), created))
    save_tokens(path, token_set)
    return secret


def revoke_token(path, name):
    token_set = load_tokens(path)
    kept = [token for token in token_set.tokens if token.name != name]
    if len(kept) == len(token_set.tokens):
        raise InvalidInput(f"no token named {name}")
    save_tokens(path, TokenSet(kept))
