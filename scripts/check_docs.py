"""Checks that the Swagger UI page, as Chromium rendered it, lists every
operation of the contract and offers "Authorize" for the bearer token.

Usage: python3 check_docs.py OPENAPI_JSON RENDERED_DOM_HTML
"""

import json
import re
import sys


def main() -> int:
    contract = json.load(open(sys.argv[1]))
    dom = open(sys.argv[2]).read()
    listed = set()
    for block in re.finditer(r'class="opblock opblock-(\w+)[^"]*".*?data-path="([^"]+)"', dom, re.S):
        listed.add((block.group(1), block.group(2).replace("\u200b", "")))
    expected = {(method, path) for path, item in contract["paths"].items() for method in item}
    missing = sorted(expected - listed)
    for method, path in missing:
        print(f"missing from /docs: {method.upper()} {path}")
    if "authorize" not in dom:
        print('missing from /docs: the "Authorize" button')
        return 1
    print(f"/docs lists {len(expected & listed)} of {len(expected)} operations, with Authorize")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
