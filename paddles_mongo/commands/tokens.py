"""scripts/token: create, list and revoke write tokens in the `auth_tokens` file."""
import click

from ..config import ConfigError, load_settings
from ..exceptions import PaddlesError
from ..services import tokens

file_option = click.option(
    "--file", "path", help="The token file (default: the auth_tokens setting, "
                           "PADDLES_AUTH_TOKENS).")


def token_file(path):
    if path:
        return path
    try:
        path = load_settings().auth_tokens
    except (ConfigError, OSError) as error:
        raise click.ClickException(f"bad settings: {error}") from None
    if not path:
        raise click.ClickException("no token file: set auth_tokens (PADDLES_AUTH_TOKENS) "
                                   "or give --file")
    return path


@click.group("token")
def token_command():
    """Write tokens (the auth_tokens file). The service reads the file at start and on
    reload (HUP)."""


@token_command.command("create")
@click.argument("name")
@click.option("--scope", "scopes", default="report",
              help=f"Comma-separated scopes: {', '.join(tokens.SCOPES)} (default report).")
@file_option
def create_command(name, scopes, path):
    """Add a token named NAME and print it, once, alone on the last line."""
    path = token_file(path)
    try:
        secret = tokens.create_token(path, name, scopes)
    except PaddlesError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created token {name} ({scopes}) in {path}; it is shown only now:")
    click.echo(secret)


@token_command.command("list")
@file_option
def list_command(path):
    """The tokens: name, scopes, creation date (never the tokens)."""
    try:
        token_set = tokens.load_tokens(token_file(path))
    except PaddlesError as error:
        raise click.ClickException(error.message) from None
    for token in token_set.tokens:
        click.echo(f"{token.name}\t{','.join(token.scopes)}\t{token.created}")


@token_command.command("revoke")
@click.argument("name")
@file_option
def revoke_command(name, path):
    """Remove the token named NAME (the service refuses it once it has reloaded)."""
    path = token_file(path)
    try:
        tokens.revoke_token(path, name)
    except PaddlesError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"revoked token {name}")
