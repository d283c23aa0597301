"""The data the bench needs, on top of what `local --seed` loads.

  pin-ids            (DynamoDB, boto3: run it with .venv/dev/bin/python)
      The events in events/ address a demo user, property and room by fixed
      ids, which `--seed` does not use (its ids are fresh UUIDv7s). This
      gives those ids to a seeded user (camille@example.com), one of her
      properties that has rooms, and one of its rooms: every item holding
      one of the old ids is rewritten with the new one (keys, index keys,
      attributes and map keys alike), so nothing here spells the item
      layout, which lib/src/store/dynamodb/ owns. TABLE_NAME,
      AWS_ENDPOINT_URL and AWS_REGION as for the functions.
  sign-in URL EMAIL PASSWORD
      Prints an access token from POST /auth/token.
  seed-local URL PROPERTIES CITY
      Registers a user on a local server and publishes PROPERTIES properties
      with three rooms each in CITY; prints the last property's id.
"""

import json
import os
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_EMAIL = "camille@example.com"
DEMO_PASSWORD = "demo password 1"  # lib/src/seed.rs


def event_ids() -> tuple[str, str, str]:
    """The user, property and room ids the chosen events address."""
    read = lambda name: json.loads((ROOT / "events" / name).read_text())
    user = read("users/get-me.json")["requestContext"]["authorizer"]["lambda"]["sub"]
    room = read("rooms/get-room.json")["pathParameters"]
    prop = read("properties/get-property.json")["pathParameters"]["id"]
    assert prop == room["id"], "get-property.json and get-room.json address one property"
    return user, prop, room["room_id"]


def pin_ids():
    import boto3  # from .venv/dev

    table = os.environ["TABLE_NAME"]
    client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
    items = [item for page in client.get_paginator("scan").paginate(TableName=table) for item in page["Items"]]
    text = lambda item, name: item.get(name, {}).get("S")
    user = next(text(i, "id") for i in items if text(i, "email") == DEMO_EMAIL and "password_hash" in i)
    prop = next(i for i in items if text(i, "owner_id") == user and i.get("room_areas", {}).get("M"))
    old = (user, text(prop, "id"), sorted(prop["room_areas"]["M"])[0])
    renames = dict(zip(old, event_ids()))
    changed = 0
    for item in items:
        before = json.dumps(item)
        after = before
        for old_id, new_id in renames.items():
            after = after.replace(old_id, new_id)
        if after == before:
            continue
        new = json.loads(after)
        key = lambda i: {"pk": i["pk"], "sk": i["sk"]}
        if key(new) != key(item):
            client.delete_item(TableName=table, Key=key(item))
        client.put_item(TableName=table, Item=new)
        changed += 1
    print(f"  pinned the events' ids on {changed} items: " + ", ".join(f"{o} -> {n}" for o, n in renames.items()))


def call(url: str, body: dict, token: str | None = None) -> dict:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def sign_in(api: str, email: str, password: str) -> str:
    return call(f"{api}/auth/token", {"email": email, "password": password})["access_token"]


def seed_local(api: str, count: int, city: str):
    email, password = "bench@example.com", "bench password 1"
    call(f"{api}/users", {"email": email, "password": password, "first_name": "Bench",
                          "last_name": "Mark", "birth_date": "1990-01-01"})
    token = sign_in(api, email, password)
    rooms = [{"name": name, "kind": kind, "area_m2": area, "floor": 1, "features": ["south-facing"]}
             for name, kind, area in [("Living room", "living_room", 32.5), ("Kitchen", "kitchen", 11.75),
                                      ("Bedroom", "bedroom", 14.2)]]
    for n in range(count):
        created = call(f"{api}/properties", {"name": f"Bench flat {n}", "description": "Bright and quiet.",
                                             "type": "apartment", "city": city, "rooms": rooms}, token)
    print(created["id"])


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "pin-ids":
        pin_ids()
    elif command == "sign-in":
        print(sign_in(*args))
    elif command == "seed-local":
        seed_local(args[0], int(args[1]), args[2])
    else:
        sys.exit(f"unknown command {command}")
