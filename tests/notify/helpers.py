from __future__ import annotations

import socket
from datetime import date
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from kvalitet.atgarder.models import Atgard
from kvalitet.extensions import db
from kvalitet.items.operations import new_item


def make_action(org: Any, due: date | None, owner: Any = None, unit: Any = None) -> Atgard:
    item = new_item(
        Atgard, None, title="Rutin för loggkontroll", unit_id=(unit or org.a1).id,
        owner_id=(owner or org.chef_a1).id, due_date=due,
    )  # fmt: skip
    db.session.commit()
    return item


class Sink:
    """An aiosmtpd handler that keeps what it accepts and refuses chosen recipients:
    `refuse_rcpt[address]` is the answer to RCPT TO, `refuse_data[address]` the answer to
    DATA of a message to that address (e.g. "550 5.1.1 No such user")."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.refuse_rcpt: dict[str, str] = {}
        self.refuse_data: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.refuse_data:
                return self.refuse_data[address]
        msg = message_from_bytes(envelope.content)
        self.messages.append(
            {
                "to": envelope.rcpt_tos,
                "subject": msg["Subject"],
                "id": msg["Message-ID"],
                "body": msg.get_payload(decode=True),
            }
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A real SMTP server on a fixed free port that can be stopped and started again."""

    def __init__(self, sink: Sink, port: int) -> None:
        self.sink, self.port = sink, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
