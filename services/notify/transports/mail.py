"""E-mail over SMTP: Thai subject (RFC 2047 encoded by the stdlib's SMTP policy), plain text and HTML."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate

from services.notify.directory import Contact
from services.notify.transports import GiveUp, Outgoing, Retry


def build_email(outgoing: Outgoing, contact: Contact, sender: str) -> EmailMessage:
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = outgoing.subject
    mail["From"] = formataddr(("อำเภอสร้างสุข", sender))
    mail["To"] = formataddr((contact.name, contact.email or ""))
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{outgoing.message_id}@notify.amphoesangsook>"
    mail.set_content(outgoing.text, charset="utf-8")
    mail.add_alternative(outgoing.html, subtype="html", charset="utf-8")
    return mail


class EmailTransport:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, *, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout_s: float = 15.0):
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls = username, password, starttls
        self.timeout_s = timeout_s

    def send(self, outgoing: Outgoing, contact: Contact) -> None:
        if not contact.email:
            raise GiveUp("no e-mail address")
        mail = build_email(outgoing, contact, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= c < 500 for c in codes):
                raise Retry(f"recipient deferred {codes}") from exc
            raise GiveUp(f"recipient refused {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise Retry(f"SMTP {exc.smtp_code}") from exc
            raise GiveUp(f"SMTP {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise Retry(f"SMTP unreachable: {type(exc).__name__}") from exc
