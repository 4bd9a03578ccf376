"""Commands for the HTTP API and web workbench: ``serve`` and user accounts."""

from __future__ import annotations

from typing import Annotated

import typer

from taxloop.cli.common import WarehouseOpt, console, fail


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` group."""
    users = typer.Typer(help="User accounts of the API and web pages / 用户账号", no_args_is_help=True)
    app.add_typer(users, name="users")

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
        access_log: Annotated[bool, typer.Option(help="Log every request (costs CPU under load)")] = False,
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Run the API and web workbench / 启动服务 (OpenAPI at /docs)."""
        import os

        import uvicorn

        if warehouse is not None:
            os.environ["TAXLOOP_WAREHOUSE"] = str(warehouse)
        uvicorn.run(
            "taxloop.api.asgi:app", host=host, port=port, workers=workers, log_level="warning", access_log=access_log
        )

    @users.command("add")
    def add(
        username: str,
        role: str,
        password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
        name: Annotated[str, typer.Option(help="Display name")] = "",
        officer_id: Annotated[str | None, typer.Option(help="Linked officer")] = None,
        region: Annotated[str | None, typer.Option(help="Data scope: region code (empty = all)")] = None,
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Create or replace an account (e.g. an auditor) / 新增账号."""
        from taxloop import bootstrap
        from taxloop.api.accounts import AccountError, add_user

        store = bootstrap.workflow_store(bootstrap.load_settings(warehouse=warehouse))
        try:
            with store.engine.begin() as conn:
                add_user(conn, username, password, role, name or username, officer_id, region)
        except AccountError as exc:
            raise fail(str(exc)) from exc
        console.print(f"account {username} ({role}) saved / 已保存")

    @users.command("from-officers")
    def from_officers(
        password: Annotated[str, typer.Option(prompt=True, hide_input=True)], warehouse: WarehouseOpt = None
    ) -> None:
        """One account per synced officer (username = officer_id) / 为每名税务人员开通账号."""
        from taxloop import bootstrap
        from taxloop.api.accounts import accounts_from_officers

        store = bootstrap.workflow_store(bootstrap.load_settings(warehouse=warehouse))
        with store.engine.begin() as conn:
            n = accounts_from_officers(conn, password)
        console.print(f"accounts created / 新开账号: {n}")
