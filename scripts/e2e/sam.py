"""The SAM CLI (`sam ARGS...`), with one fix to `sam local start-api`.

Run with the SAM CLI's own Python: .venv/infra/bin/python scripts/e2e/sam.py local start-api ...

SAM CLI merges the routes of one function that share a path into one route
with all their methods, and keeps the authorizer of only one of them
(ApiCollector.dedupe_function_routes). Our API has public and protected
methods on the same paths (GET /properties is public, POST needs a caller),
so plain `sam local start-api` puts the authorizer in front of public
routes, or lets protected ones through without it. On AWS each route has
its own authorizer. Here routes are merged only when their authorizer is
the same, so each (method, path) keeps its own.
"""

import sys

from samcli.lib.providers.api_collector import ApiCollector

_merge = ApiCollector.dedupe_function_routes


def _merge_per_authorizer(routes):
    groups = {}
    for route in routes:
        groups.setdefault(route.authorizer_name, []).append(route)
    return [merged for group in groups.values() for merged in _merge(group)]


ApiCollector.dedupe_function_routes = staticmethod(_merge_per_authorizer)

from samcli.cli.main import cli  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "sam"
    sys.exit(cli())
