"""Registers a throw-away user on the API at ARGV[1] and prints its token."""

import json
import sys
import urllib.request
import uuid


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main() -> None:
    api = sys.argv[1]
    email = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
    password = "fuzzing password"
    post(f"{api}/users", {"email": email, "password": password, "first_name": "Fuzz", "last_name": "Tester", "birth_date": "1990-01-01"})
    print(post(f"{api}/auth/token", {"email": email, "password": password})["access_token"])


if __name__ == "__main__":
    main()
