#!/usr/bin/env python3
"""Sends one of each Segment call to a Sluice server with the official Segment Python SDK.

Usage: segment-sdk-client.py URL WRITE_KEY
Prints one JSON line per call ({"messageId": ..., "type": ..., ...}) so the caller can check what was stored.
Exits 1 if the SDK reports any error. Used by the ingest integration tests; needs `pip install
segment-analytics-python` (scripts/ensure-deps.sh installs it).
"""
import datetime
import json
import sys

from segment.analytics.client import Client

url, write_key = sys.argv[1], sys.argv[2]
errors = []
client = Client(
    write_key,
    host=url,
    gzip=True,
    sync_mode=True,
    max_retries=2,
    on_error=lambda error, items: errors.append(str(error)),
)
when = datetime.datetime(2026, 11, 20, 10, 30, 0, tzinfo=datetime.timezone.utc)
context = {
    "ip": "203.0.113.77",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "page": {"path": "/docs", "url": "https://example.com/docs?utm_source=sdk", "referrer": "https://news.example.org/x"},
    "location": {"country": "NL"},
}
calls = [
    ("track", lambda m: client.track("py-user", "Order Completed", {"total": 19.99, "items": ["a", "b"]}, context=context, timestamp=when, message_id=m)),
    ("identify", lambda m: client.identify("py-user", {"email": "py@example.com", "plan": "pro"}, context=context, message_id=m)),
    ("page", lambda m: client.page("py-user", "Docs", "Getting started", {"section": "intro"}, context=context, message_id=m)),
    ("screen", lambda m: client.screen("py-user", "App", "Home", {"tab": 1}, context=context, message_id=m)),
    ("group", lambda m: client.group("py-user", "py-group", {"name": "Acme"}, context=context, message_id=m)),
    ("alias", lambda m: client.alias("py-anon", "py-user", context=context, message_id=m)),
]
for type_, call in calls:
    message_id = "py-" + type_
    call(message_id)
    print(json.dumps({"messageId": message_id, "type": type_}))
if errors:
    print("errors: " + "; ".join(errors), file=sys.stderr)
    sys.exit(1)
