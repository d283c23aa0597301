"""What wrk's numbers rest on, per server: two GET requests on one HTTP/1.1
connection, as wrk sends them (keep-alive is HTTP/1.1's default, and
neither wrk's flags nor wrk_report.lua ask for `Connection: close`). For
each URL it records the status, the body's size, and whether the server
kept the connection open: with `Connection: close` every wrk request also
pays a TCP set-up, and the requests/s measure that.

Usage: probe.py OUT_JSON NAME=URL...
"""

import http.client
import json
import sys
from urllib.parse import urlsplit


def probe(url: str) -> dict:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        result = {"status": response.status, "body_bytes": len(body),
                  "connection_header": response.getheader("connection"), "keep_alive": False}
        if not response.will_close:
            # The server said it keeps the connection: the second request
            # must then be answered on it.
            try:
                connection.request("GET", path)
                again = connection.getresponse()
                again.read()
                result["keep_alive"] = again.status == response.status
            except (http.client.HTTPException, ConnectionError):
                pass
        return result
    finally:
        connection.close()


def main():
    out, pairs = sys.argv[1], sys.argv[2:]
    results = {}
    for pair in pairs:
        name, url = pair.split("=", 1)
        results[name] = probe(url)
        print(f"  {name:<16} {url}: {results[name]['status']}, {results[name]['body_bytes']} bytes, "
              f"keep-alive {'yes' if results[name]['keep_alive'] else 'no'}")
    with open(out, "w") as file:
        json.dump(results, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main()
