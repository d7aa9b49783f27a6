#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the dialect fixtures.

Usage: seed_corpus.py FIXTURES_DIR OUT_DIR

Every body under FIXTURES_DIR (crates/inlet-dialects/tests/fixtures) becomes
one seed in OUT_DIR/<target>/, encoded as fuzz/src/lib.rs decodes it:

- slack, talkspirit, emakin: an options byte (the fixture's content type
  and webhook settings), then the body;
- integration: an options byte, the integration's name, the event header's
  value, then the body (lines ended by '\\n');
- message_apis: the slack seeds (chat.postMessage takes the same payload)
  and a few send-message forms, encoded as for the dialects.

The seeds are written anew on every run (scripts/fuzz), so none are
committed; what the fuzzer discovers goes to a corpus of its own.
"""

import json
import sys
from pathlib import Path

DIALECTS = ("slack", "talkspirit", "emakin")

# Index in DIALECT_CONTENT_TYPES (fuzz/src/lib.rs) of each content type.
DIALECT_CONTENT_TYPE_INDEX = {
    None: 0,
    "application/json": 1,
    "application/json; charset=utf-8": 2,
    "application/x-www-form-urlencoded": 3,
    "multipart/form-data": 5,
    "text/plain": 6,
}
MULTIPART_FROM_BODY = 4
OTHER_CHARSET = 7

# DialectOptions flags.
SLACK_MARKUP = 1 << 3
CHANNEL_MENTIONS = 1 << 4
TIGHT_LIMITS = 1 << 5
KNOWN_DIRECTORY = 1 << 6

# INTEGRATION_CONTENT_TYPES indexes and IntegrationOptions flags.
INTEGRATION_CONTENT_TYPE_INDEX = {
    "application/json": 0,
    None: 1,
    "application/x-www-form-urlencoded": 2,
}
INTEGRATION_OTHER_CHARSET = 3
SIGNING_SECRET = 1 << 2
QUERY = 1 << 3

# The event header each vendor reads; GitHub's fixtures name the event in
# the file name instead (`push__tag.json`), as Zulip's tests do.
EVENT_HEADERS = ("x-github-event", "x-gitlab-event", "x-gitea-event", "sentry-hook-resource")


def bodies(directory):
    """The fixture bodies of a directory: not the expected or request files."""
    for path in sorted(directory.iterdir()):
        name = path.name
        if path.is_file() and not name.endswith((".expected.json", ".request.json")):
            yield path


def request_of(body_path):
    """The fixture's `<case>.request.json`, or {} when it has none."""
    stem = body_path.name.rsplit(".", 1)[0]
    request_path = body_path.with_name(f"{stem}.request.json")
    if request_path.exists():
        return json.loads(request_path.read_text())
    return {}


def dialect_options(request, body):
    content_type = request.get("content_type")
    if content_type in DIALECT_CONTENT_TYPE_INDEX:
        options = DIALECT_CONTENT_TYPE_INDEX[content_type]
    elif content_type.startswith("multipart/form-data; boundary="):
        boundary = content_type.split("boundary=", 1)[1]
        if not body.startswith(b"--" + boundary.encode()):
            raise SystemExit(f"multipart fixture whose body does not open with {boundary!r}")
        options = MULTIPART_FROM_BODY
    elif "charset=" in content_type:
        options = OTHER_CHARSET
    else:
        raise SystemExit(f"no seed encoding for content type {content_type!r}")
    webhook = request.get("webhook", {})
    if webhook.get("markup") == "slack":
        options |= SLACK_MARKUP
    if webhook.get("allow_channel_mentions"):
        options |= CHANNEL_MENTIONS
    if "limits" in request:
        options |= TIGHT_LIMITS
    if "directory" in request:
        options |= KNOWN_DIRECTORY
    return options


def integration_options(request):
    content_type = request.get("content_type", "application/json")
    if content_type in INTEGRATION_CONTENT_TYPE_INDEX:
        options = INTEGRATION_CONTENT_TYPE_INDEX[content_type]
    else:
        options = INTEGRATION_OTHER_CHARSET
    if "secret" in request:
        options |= SIGNING_SECRET
    if "query" in request:
        options |= QUERY
    if request.get("allow_channel_mentions"):
        options |= CHANNEL_MENTIONS
    return options


def event_of(name, body_path, request):
    headers = {k.lower(): str(v) for k, v in request.get("headers", {}).items()}
    for header in EVENT_HEADERS:
        if header in headers:
            return headers[header]
    if name == "github" and not request.get("no_event_header"):
        return body_path.name.split("__")[0].rsplit(".", 1)[0]
    return ""


# Zulip send-message requests as its clients send them (forms).
SEND_MESSAGE_FORMS = (
    b"type=stream&to=town-square&topic=deploys&content=Deploy+**started**",
    b"type=channel&to=%5B%22town-square%22%5D&subject=deploys&content=done",
    b"type=direct&to=%5B%22alice%22%5D&content=hi",
    b"type=stream&to=42&content=no+topic",
)


def write_seed(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    fixtures, out = Path(sys.argv[1]), Path(sys.argv[2])
    count = 0
    for dialect in DIALECTS:
        for path in bodies(fixtures / dialect):
            body = path.read_bytes()
            options = dialect_options(request_of(path), body)
            write_seed(out / dialect, path.name, bytes([options]) + body)
            count += 1
            if dialect == "slack":
                write_seed(out / "message_apis", path.name, bytes([options]) + body)
                count += 1
    form = DIALECT_CONTENT_TYPE_INDEX["application/x-www-form-urlencoded"]
    for index, body in enumerate(SEND_MESSAGE_FORMS):
        write_seed(out / "message_apis", f"send-message-{index}", bytes([form]) + body)
        count += 1
    for vendor_dir in sorted((fixtures / "integrations").iterdir()):
        for path in bodies(vendor_dir):
            request = request_of(path)
            name = request.get("integration", vendor_dir.name)
            head = f"{name}\n{event_of(vendor_dir.name, path, request)}\n".encode()
            data = bytes([integration_options(request)]) + head + path.read_bytes()
            write_seed(out / "integration", f"{vendor_dir.name}__{path.name}", data)
            count += 1
    print(f"{count} seeds from {fixtures} in {out}")


if __name__ == "__main__":
    main()
