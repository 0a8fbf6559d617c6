"""`flask account …` and `flask analysis …` commands for operators."""

import click
from flask import Flask, current_app
from pydantic import BaseModel, Field

from internal.exception import CustomException
from internal.schema.auth import Email
from internal.schema.common import Password
from internal.service.account_service import AccountService
from internal.service.analysis_service import AnalysisService
from pkg.validation_message import describe_validation_error


class _NewAccount(BaseModel):
    email: Email
    password: Password
    name: str = Field("", max_length=30)


def register_commands(app: Flask) -> None:
    @app.cli.group("account")
    def account_group():
        """Manage accounts."""

    @account_group.command("create")
    @click.option("--email", required=True, help="Sign-in email")
    @click.option("--password", required=True, help="8-16 characters with a letter and a digit")
    @click.option("--name", default="", help="Display name (defaults to the email's local part)")
    def create_account(email: str, password: str, name: str):
        """Create an account that can sign in with /auth/password-login; prints its id."""
        try:
            fields = _NewAccount(email=email, password=password, name=name)
        except ValueError as exc:
            raise click.ClickException(describe_validation_error(exc)) from None
        service = current_app.extensions["injector"].get(AccountService)
        try:
            account = service.create_account(fields.email, fields.password, fields.name)
        except CustomException as exc:
            raise click.ClickException(exc.message) from None
        click.echo(str(account.id))

    @app.cli.group("analysis")
    def analysis_group():
        """Maintain app analysis."""

    @analysis_group.command("rebuild")
    @click.option("--app-id", type=click.UUID, default=None, help="Only this app (default: every app with messages)")
    def rebuild_analysis(app_id):
        """Recompute the analysis rollups from messages by day in ANALYSIS_TIMEZONE (after changing it,
        or after importing messages); idempotent."""
        service = current_app.extensions["injector"].get(AnalysisService)
        try:
            rebuilt = service.rebuild_rollups(app_id)
        except CustomException as exc:
            raise click.ClickException(exc.message) from None
        for one, messages in rebuilt:
            click.echo(f"{one}: {messages} messages")
        click.echo(f"rebuilt {len(rebuilt)} apps")
