"""LINE Messaging API push (line-bot-sdk v3), with an `X-Line-Retry-Key` that is the same on every attempt
of one message, so LINE delivers a retried push once (a repeat answers 409)."""

from __future__ import annotations

import uuid

from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    ButtonsTemplate,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    TemplateMessage,
    TextMessage,
    URIAction,
)

from services.notify.directory import Contact
from services.notify.transports import GiveUp, Outgoing, Retry, retry_after_seconds

MAX_TEXT = 5000  # LINE's limit for a text message
_RETRY_NAMESPACE = uuid.UUID("6f1c7e40-2d7a-4a35-9c53-1b7c1a0e9d21")


def retry_key(message_id: str) -> str:
    """A UUID derived from the message: stable across attempts and processes."""
    return str(uuid.uuid5(_RETRY_NAMESPACE, message_id))


def line_messages(outgoing: Outgoing) -> list:
    messages: list = [TextMessage(text=outgoing.text[:MAX_TEXT])]
    if outgoing.buttons:
        actions = [URIAction(label=b["label"][:20], uri=b["url"]) for b in outgoing.buttons[:4]]
        messages.append(TemplateMessage(altText=outgoing.subject[:400],
                                        template=ButtonsTemplate(text="เปิดหน้าเรื่องเพื่อรับทราบ / Open the alert",
                                                                 actions=actions)))
    return messages


class LineTransport:
    name = "line"

    def __init__(self, access_token: str, host: str, *, timeout_s: float = 10.0):
        self.configuration = Configuration(host=host, access_token=access_token)
        self.timeout_s = timeout_s

    def send(self, outgoing: Outgoing, contact: Contact) -> None:
        if not contact.line_user_id:
            raise GiveUp("no LINE user id")
        request = PushMessageRequest(to=contact.line_user_id, messages=line_messages(outgoing))
        try:
            with ApiClient(self.configuration) as client:
                MessagingApi(client).push_message(request, x_line_retry_key=retry_key(outgoing.message_id),
                                                  _request_timeout=self.timeout_s)
        except ApiException as exc:
            if exc.status == 409:  # this retry key was accepted before: delivered once already
                return
            if exc.status == 429 or (exc.status or 0) >= 500:
                raise Retry(f"LINE answered {exc.status}",
                            retry_after_seconds((exc.headers or {}).get("Retry-After"))) from exc
            raise GiveUp(f"LINE answered {exc.status}") from exc
        except (OSError, ValueError) as exc:
            raise Retry(f"LINE unreachable: {type(exc).__name__}") from exc
        except Exception as exc:  # urllib3 errors are not OSError
            if type(exc).__module__.startswith("urllib3"):
                raise Retry(f"LINE unreachable: {type(exc).__name__}") from exc
            raise
