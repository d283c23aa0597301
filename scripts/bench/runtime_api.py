"""A local Lambda Runtime API (the 2018-06-01 interface a custom runtime
polls), enough to time cold starts: one `Session` per function process,
each on its own port, which records when the process first asks for work
and when each invocation is handed out and answered. Stdlib only.

    session = Session("users")        # before starting the process
    env["AWS_LAMBDA_RUNTIME_API"] = session.address
    first = session.invoke(b"{...}")  # handed out on the process's first poll
    first.done.wait()
    session.close()                   # after stopping the process

Why a port per process: a stopped process can leave a poll behind, sent
just before it stopped and accepted by the server only later. On a shared
port that poll would take the next process's first invocation to a closed
connection, and the next process would wait forever.
"""

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{name}"
DEADLINE_MS = 10_000  # the properties and rooms functions' timeout


class Invocation:
    def __init__(self, event: bytes, on_answer=None):
        self.id = str(uuid.uuid4())
        self.event = event
        # Called in the server thread as the answer arrives, before it is
        # acknowledged: the process is still waiting, so what it reads from
        # /proc is the process as it was when it answered.
        self.on_answer = on_answer
        self.handed_out_ns = None
        self.answered_ns = None
        self.answer = None  # the parsed /response body
        self.error = None  # the /error body, when the handler failed
        self.done = threading.Event()


class Session:
    """What one function process sees: its queue of invocations, served on
    a port of its own (`address`, for AWS_LAMBDA_RUNTIME_API)."""

    def __init__(self, function_name: str):
        self.function_name = function_name
        self.first_poll_ns = None
        self.init_error = None
        self.started = threading.Event()  # first poll, or an init error
        self.pending = queue.Queue()
        self.invocations = {}
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.session = self
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        # close() waits for the serving loop to notice: a short poll interval.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def invoke(self, event: bytes, on_answer=None) -> Invocation:
        invocation = Invocation(event, on_answer)
        self.invocations[invocation.id] = invocation
        self.pending.put(invocation)
        return invocation

    def close(self):
        """Stops serving; a poll still waiting for work (its process is
        gone) is released."""
        self.pending.put(None)
        self.server.shutdown()
        self.server.server_close()


class Handler(BaseHTTPRequestHandler):
    # The runtime client keeps its connection alive between calls.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        session = self.server.session
        if self.path != f"{PREFIX}/invocation/next":
            return self.reply(404, {"errorMessage": f"no route {self.path}"})
        if session.first_poll_ns is None:
            session.first_poll_ns = time.monotonic_ns()
            session.started.set()
        invocation = session.pending.get()
        if invocation is None:
            return self.reply(410, {"errorMessage": "the session is over"})
        deadline = int(time.time() * 1000) + DEADLINE_MS
        trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.id,
            "Lambda-Runtime-Deadline-Ms": str(deadline),
            "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN.format(name=session.function_name),
            "Lambda-Runtime-Trace-Id": trace,
        }
        invocation.handed_out_ns = time.monotonic_ns()
        self.reply(200, invocation.event, headers)

    def do_POST(self):
        session = self.server.session
        body = self.read_body()
        parts = self.path.removeprefix(PREFIX).strip("/").split("/")
        if parts == ["init", "error"]:
            session.init_error = body.decode(errors="replace")
            session.started.set()
            return self.reply(202, {"status": "OK"})
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            invocation = session.invocations.get(parts[1])
            if invocation is None:
                return self.reply(400, {"errorMessage": f"unknown request id {parts[1]}"})
            invocation.answered_ns = time.monotonic_ns()
            if parts[2] == "response":
                invocation.answer = json.loads(body)
            else:
                invocation.error = body.decode(errors="replace")
            if invocation.on_answer:
                invocation.on_answer(invocation)
            invocation.done.set()
            return self.reply(202, {"status": "OK"})
        self.reply(404, {"errorMessage": f"no route {self.path}"})

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def reply(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the process was stopped while it waited


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a stopped process drops its connection: that is the point
