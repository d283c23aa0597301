"""A webhook receiver for trying webhooks on this machine: it verifies each
delivery's Standard Webhooks signature with the endpoint's secret (Python's
hmac, as any receiver can) and prints what it got, one line per delivery.

    python3 scripts/webhook_receiver.py PORT whsec_... [--fail N]

With --fail N it answers the first N deliveries 500, as a receiver that is
down would, so that the retries show.
"""
import base64
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, SECRET = int(sys.argv[1]), sys.argv[2]
FAILURES = int(sys.argv[4]) if sys.argv[3:4] == ["--fail"] else 0
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
received = 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        global received
        received += 1
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        msg_id, timestamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        expected = base64.b64encode(hmac.new(KEY, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest())
        signed = any(hmac.compare_digest(signature.removeprefix("v1,"), expected.decode())
                     for signature in self.headers["webhook-signature"].split())
        status = 400 if not signed else 500 if received <= FAILURES else 204
        event = json.loads(body)
        data = event["data"]
        print("webhook:", event["type"], "version", data.get("version"), data.get("changed"),
              "signature ok" if signed else "SIGNATURE WRONG", "-> answered", status, flush=True)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
