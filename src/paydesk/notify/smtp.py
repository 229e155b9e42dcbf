"""Sending one email over SMTP (SMTP_URL: smtp://[user:pass@]host:port, smtps:// for TLS)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from paydesk.core.address import one_address

FROM_ADDR = "paydesk <no-reply@paydesk.local>"


def send_email(
    smtp_url: SecretStr, to: str, subject: str, body: str, html: str | None = None
) -> None:
    """Send to exactly one recipient: `to` is validated as one address (InvalidAddress
    otherwise) and given to SMTP explicitly, never re-parsed from the To header. With `html`
    the message is multipart/alternative: the text first, the HTML as the preferred part."""
    to = one_address(to)
    message = EmailMessage()
    message["From"] = FROM_ADDR
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with connect(smtp_url) as client:
        client.send_message(message, to_addrs=[to])


def connect(smtp_url: SecretStr, timeout: float = 30) -> smtplib.SMTP:
    """A connected (and logged-in, when the URL names a user) SMTP client."""
    url = urlsplit(smtp_url.get_secret_value())
    host = url.hostname or "127.0.0.1"
    client: smtplib.SMTP
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, url.port or 465, timeout=timeout)
    else:
        client = smtplib.SMTP(host, url.port or 25, timeout=timeout)
    try:
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
    except BaseException:
        client.close()
        raise
    return client
