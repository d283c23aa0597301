"""A webhook receiver for trying webhooks on this machine: it verifies each
delivery's Standard Webhooks signature with the endpoint's secret (Python's
hmac, as any receiver can) and prints what it got, one line per delivery.

    python3 scripts/webhook_receiver.py PORT whsec_...
"""
import base64
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, SECRET = int(sys.argv[1]), sys.argv[2]
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        msg_id, timestamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        expected = base64.b64encode(hmac.new(KEY, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest())
        signed = any(hmac.compare_digest(signature.removeprefix("v1,"), expected.decode())
                     for signature in self.headers["webhook-signature"].split())
        event = json.loads(body)
        data = event["data"]
        print("webhook:", event["type"], "version", data.get("version"), data.get("changed"),
              "signature ok" if signed else "SIGNATURE WRONG", flush=True)
        self.send_response(204 if signed else 400)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
