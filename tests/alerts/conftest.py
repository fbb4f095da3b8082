"""Local receivers for alert delivery: an HTTP webhook and an SMTP server.

Both run on ``127.0.0.1`` (port 0) in a thread and record what they receive; tests
script their answers. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    at: float
    path: str
    headers: dict
    body: dict


class Webhook:
    """A webhook receiver. ``script`` holds the next answers, consumed in order:
    an HTTP status, ``"slow"`` (answer 200 after ``slow_seconds``) or ``"hang"``
    (answer only once ``release`` is set). With an empty script it answers 200."""

    def __init__(self):
        self.script: list = []
        self.requests: list[Received] = []
        self.slow_seconds = 1.0
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(
                        Received(time.monotonic(), self.path, dict(self.headers), json.loads(raw))
                    )
                    answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "slow":
                    time.sleep(receiver.slow_seconds)
                    answer = 200
                elif answer == "hang":
                    receiver.release.wait(30)
                    answer = 200
                headers = {"Retry-After": "0"} if answer == 429 else {}
                body = b"ok" if answer < 400 else b"receiver error"
                try:
                    self.send_response(answer)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout, killed)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0KEN-secret"

    def keys(self) -> list[str]:
        return [r.headers.get("Idempotency-Key") for r in self.requests]


@pytest.fixture
def webhook():
    receiver = Webhook()
    receiver.thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@dataclass
class SmtpSink:
    """A minimal SMTP server keeping every message; ``script`` holds replies to
    ``DATA`` (e.g. ``"451 try later"``) consumed before the default ``250``."""

    messages: list = field(default_factory=list)
    script: list = field(default_factory=list)
    server: socketserver.ThreadingTCPServer | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]


def _smtp_handler(sink: SmtpSink):
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self):
            self.reply("220 localhost protestwatch test sink")
            envelope = {"from": None, "to": []}
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                if verb in {"EHLO", "HELO"}:
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    envelope = {"from": command[10:].strip(), "to": []}
                    self.reply("250 OK")
                elif verb == "RCPT":
                    envelope["to"].append(command[8:].strip())
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    data = []
                    while True:
                        chunk = self.rfile.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    answer = sink.script.pop(0) if sink.script else "250 OK queued"
                    if answer.startswith("250"):
                        sink.messages.append({**envelope, "data": b"".join(data)})
                    self.reply(answer)
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                elif verb in {"RSET", "NOOP"}:
                    self.reply("250 OK")
                else:
                    self.reply("502 command not implemented")

    return Handler


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    sink.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(sink))
    sink.server.daemon_threads = True
    thread = threading.Thread(target=sink.server.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.server.shutdown()
    sink.server.server_close()
