"""`sam local invoke -e` with every file in events/, each checked against
the status events/expected.json gives it (the file lib/tests/api/events.rs
checks the same events against).

    python3 invoke_events.py API_URL -- SAM_INVOKE_COMMAND...

The events address the demo user of events/expected.json (their email,
id, property and room, a refresh token of theirs). Before each event that
needs them, a fresh set is made through the running API (API_URL), with
the demo password, and the event is sent with its ids in place of the demo
ones: the events change what they touch (delete, sign out...), so none
depends on another. The authorizer event is sent as it is (refused) and
with a real token (allowed, with sub and exp). The media events need
files: before the upload event, a photo is announced through the API and
its file PUT to the presigned URL (moto's S3), and the photo must be
ready after; before the removal event, a derivative is put in the bucket,
and it must be gone after (MEDIA_BUCKET and AWS_ENDPOINT_URL name them).
The webhooks and notifications events are sent as they are: each must
answer what events/expected.json gives it (answers): a partial batch
response, or for the digests schedule's event the number of digests sent.
"""

import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_JSON = ROOT / "events/expected.json"
FUNCTIONS = {"users": "UsersFunction", "properties": "PropertiesFunction",
             "rooms": "RoomsFunction", "media": "MediaFunction", "authorizer": "AuthorizerFunction",
             "webhooks": "WebhooksFunction", "notifications": "NotificationsFunction"}
# Checked on their own, not by an HTTP status.
OWN_CHECKS = ("authorizer/", "media/", "webhooks/", "notifications/")
# Sent as they are, each answered as events/expected.json's answers say.
ANSWERED = ("webhooks/", "notifications/")
TOKEN_PLACEHOLDER = "<paste an access token from POST /auth/token>"


def constants():
    """The demo user's details, each HTTP event's expected status and each
    webhooks and notifications event's expected answer."""
    with open(EXPECTED_JSON) as file:
        expected = json.load(file)
    return expected["demo"], expected["statuses"], expected["answers"]


# Each fixture's requests come from a loopback address of their own, as a
# crowd of users would: the API limits registrations per source address.
SOURCES = (f"127.0.0.{n}" for n in itertools.cycle(range(2, 255)))


def opener_from(source):
    """A urllib opener whose connections leave from `source`."""
    class FromSource(urllib.request.HTTPHandler):
        def http_open(self, request):
            connect = lambda host, **options: http.client.HTTPConnection(host, source_address=(source, 0), **options)
            return self.do_open(connect, request)
    return urllib.request.build_opener(FromSource)


def call(api, method, path, body=None, token=None, opener=urllib.request.build_opener()):
    """The answer to a request; a 503 (the store did not answer in time: moto,
    busy beside the emulated functions) is sent again after its Retry-After,
    as a client would, up to 3 times."""
    for attempt in range(4):
        request = urllib.request.Request(api + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with opener.open(request, timeout=120) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            if error.code != 503 or attempt == 3:
                raise
            time.sleep(min(int(error.headers.get("retry-after") or 1), 5))


def fixture(api, password):
    """A user (with the demo password), a session, a property with one room."""
    email = f"demo-{uuid.uuid4().hex[:12]}@example.com"
    opener = opener_from(next(SOURCES))
    user = call(api, "POST", "/users", {"email": email, "password": password, "first_name": "Demo",
                                        "last_name": "User", "birth_date": "1980-01-01"}, opener=opener)
    session = call(api, "POST", "/auth/token", {"email": email, "password": password}, opener=opener)
    created = call(api, "POST", "/properties",
                   {"name": "Demo house", "description": "For the events.", "type": "house", "city": "Lyon",
                    "rooms": [{"name": "Kitchen", "kind": "kitchen", "area_m2": 12.5}]},
                   token=session["access_token"], opener=opener)
    return {"email": email, "user": user["id"], "session": session, "property": created["id"],
            "room": created["rooms"][0]["id"]}


def invoke(command, function, text):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        file.write(text)
    started = time.monotonic()
    run = subprocess.run([*command, function, "-e", file.name], capture_output=True, text=True)
    Path(file.name).unlink()
    lines = [line for line in run.stdout.splitlines() if line.strip().startswith("{")]
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError):
        answer = None
    return answer, run, time.monotonic() - started


def bucket_url(key):
    """The URL of `key` in the media bucket of moto's S3 (which takes
    unsigned requests)."""
    return f"{os.environ['AWS_ENDPOINT_URL']}/{os.environ['MEDIA_BUCKET']}/{key}"


def exists(key):
    try:
        with urllib.request.urlopen(urllib.request.Request(bucket_url(key), method="HEAD"), timeout=30):
            return True
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise


def run_media(api, command, demo, file, text):
    """Invokes a media event on files made for it; checks what it did."""
    ids = fixture(api, demo["password"])
    token, property_id = ids["session"]["access_token"], ids["property"]
    photo_id = str(uuid.uuid4())
    if file.endswith("upload.json"):
        jpeg = subprocess.run(["cargo", "run", "-q", "--locked", "-p", "local", "--", "--sample-photo"],
                              capture_output=True, check=True, cwd=ROOT).stdout
        photo = call(api, "POST", f"/properties/{property_id}/photos",
                     {"content_type": "image/jpeg", "content_length": len(jpeg)}, token=token)
        photo_id = photo["id"]
        upload = urllib.request.Request(photo["upload"]["url"], data=jpeg, method="PUT",
                                        headers=photo["upload"]["headers"])
        urllib.request.urlopen(upload, timeout=60).close()
        check = lambda: call(api, "GET", f"/properties/{property_id}/photos/{photo_id}")["status"] == "ready"
    else:
        derivative = f"photos/{property_id}/{photo_id}/32.jpg"
        urllib.request.urlopen(urllib.request.Request(bucket_url(derivative), data=b"jpeg", method="PUT"),
                               timeout=30).close()
        check = lambda: not exists(derivative)
    event = text.replace(demo["property"], property_id).replace(demo["photo"], photo_id)
    answer, run_, seconds = invoke(command, FUNCTIONS["media"], event)
    ok = run_.returncode == 0 and answer is None and check()
    line = f"  {'ok  ' if ok else 'FAIL'} {file}: {'done' if ok else answer} ({seconds:.1f} s)"
    return [line], [] if ok else [f"{file}: {answer}\n{run_.stderr[-2000:]}"]


def main():
    api, command = sys.argv[1].rstrip("/"), sys.argv[sys.argv.index("--") + 1:]
    demo, expected, answers = constants()
    files = sorted(str(p.relative_to(ROOT / "events")) for p in (ROOT / "events").glob("*/*.json"))
    failures = []
    if sorted(f for f in files if not f.startswith(OWN_CHECKS)) != sorted(expected):
        failures.append(f"events/ and the statuses of {EXPECTED_JSON.relative_to(ROOT)} list different files")
    if sorted(f for f in files if f.startswith(ANSWERED)) != sorted(answers):
        failures.append(f"events/webhooks/, events/notifications/ and the answers of "
                        f"{EXPECTED_JSON.relative_to(ROOT)} list different files")

    def run(file):
        """Invokes one event file; returns its report lines and failures."""
        lines, failed = [], []
        folder = file.split("/", 1)[0]
        text = (ROOT / "events" / file).read_text()
        if folder == "authorizer":
            ids = fixture(api, demo["password"])
            cases = [("as it is", text, False),
                     ("with a real token", text.replace(TOKEN_PLACEHOLDER, ids["session"]["access_token"]), True)]
            for label, event, allowed in cases:
                answer, run_, seconds = invoke(command, FUNCTIONS[folder], event)
                ok = isinstance(answer, dict) and answer.get("isAuthorized") is allowed
                if allowed and ok:
                    context = answer.get("context") or {}
                    ok = context.get("sub") == ids["user"] and str(context.get("exp", "")).isdigit()
                lines.append(f"  {'ok  ' if ok else 'FAIL'} {file} {label}: {answer} ({seconds:.1f} s)")
                if not ok:
                    failed.append(f"{file} {label}: {answer}\n{run_.stderr[-2000:]}")
            return lines, failed
        if folder == "media":
            return run_media(api, command, demo, file, text)
        if f"{folder}/" in ANSWERED:
            answer, run_, seconds = invoke(command, FUNCTIONS[folder], text)
            ok = run_.returncode == 0 and answer == answers.get(file)
            lines.append(f"  {'ok  ' if ok else 'FAIL'} {file}: {answer} (expected {answers.get(file)}, "
                         f"{seconds:.1f} s)")
            if not ok:
                failed.append(f"{file}: {answer} != {answers.get(file)}\n{run_.stderr[-2000:]}")
            return lines, failed
        if any(demo[key] in text for key in ("user", "property", "room", "refresh_token", "email")):
            ids = fixture(api, demo["password"])
            text = (text.replace(demo["refresh_token"], ids["session"]["refresh_token"])
                    .replace(demo["user"], ids["user"])
                    .replace(demo["property"], ids["property"])
                    .replace(demo["room"], ids["room"])
                    .replace(demo["email"], ids["email"]))
        text = text.replace("new.user@example.com", f"new-{uuid.uuid4().hex[:12]}@example.com")
        answer, run_, seconds = invoke(command, FUNCTIONS[folder], text)
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        ok = status == expected.get(file)
        lines.append(f"  {'ok  ' if ok else 'FAIL'} {file}: {status} (expected {expected.get(file)}, {seconds:.1f} s)")
        if not ok:
            failed.append(f"{file}: {status} != {expected.get(file)}: {answer}\n{run_.stderr[-2000:]}")
        return lines, failed

    # Two at a time: each invocation is mostly SAM CLI start-up and a new container.
    answered = {folder: [0, 0] for folder in FUNCTIONS}  # function -> [answered, invoked]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for file, (lines, failed) in zip(files, pool.map(run, files)):
            print("\n".join(lines), flush=True)
            failures.extend(failed)
            tally = answered[file.split("/", 1)[0]]
            tally[0] += len(lines) - len(failed)
            tally[1] += len(lines)

    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    for folder, (ok, invoked) in answered.items():
        print(f"  {FUNCTIONS[folder]:<19} answered {ok} of its {invoked} invocations as expected")
    print(f"sam local invoke: {len(files) + 1} invocations, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
