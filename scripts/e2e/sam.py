"""The SAM CLI (`sam ARGS...`), with one fix to `sam local start-api` and
one option of its own.

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

# --host-emulator (before sam's own arguments): the function containers get
# the Runtime Interface Emulator built for this machine (x86_64), whatever
# the functions' architecture. The emulator stands in for the Lambda
# service, which does not ship with the functions; an arm64 function then
# runs under qemu (scripts/emulation.sh) in its arm64 image while the
# emulator, a Go program, runs natively. Emulated too, it now and then
# never answered (about one invocation in 50), whatever the timeout.
# SAM makes the image it runs (BASE_REPO:rapid-ARCH) once and reuses it:
# run a base image always with --host-emulator, or never.
if sys.argv[1:2] == ["--host-emulator"]:
    del sys.argv[1]
    import platform

    from samcli.local.docker import lambda_image

    host = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    lambda_image.get_rapid_name = lambda architecture: f"aws-lambda-rie-{host}"

from samcli.cli.main import cli  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "sam"
    sys.exit(cli())
