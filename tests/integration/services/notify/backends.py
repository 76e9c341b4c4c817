"""Email backends that fail the way real mail servers and workers do (no network needed).

Each keeps what it "delivered" in ``django.core.mail.outbox`` like the locmem backend, so a
test counts what reached the customer, not what our code believed.
"""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocMemBackend

PATH = "tests.integration.services.notify.backends."


class WorkerKilled(BaseException):
    """Stands in for SIGKILL / a lost worker: no ``except Exception`` stops it."""


class DeliverThenDie(LocMemBackend):
    """The email goes out, then the worker dies before the row says ``sent``."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise WorkerKilled


class Unreachable(BaseEmailBackend):
    """The mail server cannot be reached: nothing is ever handed over."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, messages):
        raise AssertionError("send_messages must not run after open() failed")


class RecipientRefused(LocMemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"5.1.1 no such user")})


class TryLater(LocMemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"4.3.0 try again later")


class DisconnectAfterData(LocMemBackend):
    """The server took the message, then the connection dropped before it said so."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
