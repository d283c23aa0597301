"""A DynamoDB-compatible server for the tests: moto, one request at a time.

`moto_server` serves requests on parallel threads, and moto's in-memory
tables are not thread-safe: two concurrent updates of one item can lose one
of them, which real DynamoDB never does (every item write is atomic). Served
one at a time, each request is atomic again, so the concurrency tests check
our code, not moto's locking. Clients may still send requests concurrently.

Usage: python dynamodb_server.py HOST PORT
"""

import os
import sys

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
