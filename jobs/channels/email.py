"""E-mail through SMTP (aiosmtplib): ``multipart/alternative`` plain text + HTML, the pictures
inline (``multipart/related``, ``cid:``). 4xx SMTP replies and connection problems retry; 5xx
replies are permanent (a refused recipient is a dead letter)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from scheduler_core.reports.notify import Rendered

from . import Permanent, Transient

__all__ = ["EmailChannel", "SmtpConfig", "build_email"]


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str | None = None
    password: str | None = None
    sender: str = "paichan <paichan@localhost>"
    timeout: float = 20.0


def build_email(sender: str, to: str, message: Rendered) -> EmailMessage:
    """The MIME message: text, then HTML with each picture as a related inline part."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = message.title
    msg["Message-ID"] = make_msgid(domain="paichan.local")
    msg.set_content(message.text)
    html = message.html
    cids = {}
    for pic in message.pictures:
        cid = make_msgid(idstring=pic.cid, domain="paichan.local")
        cids[pic.cid] = cid
        html = html.replace(f"cid:{pic.cid}", f"cid:{cid[1:-1]}")
    msg.add_alternative(html, subtype="html")
    if message.pictures:
        html_part = msg.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for pic in message.pictures:
            html_part.add_related(pic.png, maintype="image", subtype="png", cid=cids[pic.cid],
                                  filename=f"{pic.cid}.png")
    return msg


class EmailChannel:
    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def lane(self, address: str) -> str:
        return "email"

    def cost(self, message: Rendered) -> int:
        return 1

    async def send(self, address: str, message: Rendered) -> None:
        c = self.config
        if "@" not in address:
            raise Permanent(f"not an e-mail address: {address!r}")
        try:
            await aiosmtplib.send(build_email(c.sender, address, message), hostname=c.host, port=c.port,
                                  username=c.username, password=c.password, use_tls=c.security == "ssl",
                                  start_tls=c.security == "starttls", timeout=c.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise Permanent(f"smtp: recipient refused: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise Transient(f"smtp {exc.code}: {exc.message}") from exc
            raise Permanent(f"smtp {exc.code}: {exc.message}") from exc
        except aiosmtplib.SMTPTimeoutError as exc:
            raise Transient(f"smtp timeout: {exc}", maybe_delivered=True) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Transient(f"smtp: {exc}") from exc

    async def close(self) -> None:
        return None
