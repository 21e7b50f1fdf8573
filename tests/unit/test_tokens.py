"""The token file: only hashes kept, scopes checked, each presented token compared with all."""
import os
import stat

import pytest

from paddles_mongo.exceptions import InvalidInput
from paddles_mongo.services import tokens


def test_a_created_token_is_kept_only_as_its_hash_and_authenticates(tmp_path):
    path = str(tmp_path / "tokens.yaml")
    secret = tokens.create_token(path, "worker", "report, lock")
    assert secret.startswith(tokens.TOKEN_PREFIX) and len(secret) > 40
    text = open(path).read()
    assert secret not in text and tokens.token_hash(secret) in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    token = tokens.load_tokens(path).authenticate(secret)
    assert (token.name, token.scopes) == ("worker", ("report", "lock"))
    assert token.allows("lock") and not token.allows("admin")
    assert tokens.load_tokens(path).authenticate(secret + "x") is None


def test_admin_allows_every_scope():
    token = tokens.Token("root", "0" * 64, ("admin",))
    assert all(token.allows(scope) for scope in tokens.SCOPES)


@pytest.mark.parametrize("text", ["", "root", "report,root", " , "])
def test_unknown_or_no_scopes_are_refused(text):
    with pytest.raises(InvalidInput, match="unknown scope"):
        tokens.parse_scopes(text)


def test_names_are_unique_and_one_word(tmp_path):
    path = str(tmp_path / "tokens.yaml")
    tokens.create_token(path, "worker", "report")
    with pytest.raises(InvalidInput, match="exists"):
        tokens.create_token(path, "worker", "lock")
    with pytest.raises(InvalidInput, match="one word"):
        tokens.create_token(path, "two words", "lock")


def test_a_missing_file_holds_no_token_and_a_malformed_one_is_refused(tmp_path):
    assert tokens.load_tokens(str(tmp_path / "none.yaml")).tokens == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens: [{name: x}]\n")
    with pytest.raises(InvalidInput, match="needs name, sha256 and scopes"):
        tokens.load_tokens(str(bad))
    bad.write_text("- 1\n")
    with pytest.raises(InvalidInput, match="tokens"):
        tokens.load_tokens(str(bad))
