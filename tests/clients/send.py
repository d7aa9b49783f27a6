"""Sends through a real client library, as its users do, and prints what
the library returned as one JSON object on stdout. Run by
crates/inlet-testkit/tests/clients.rs in the virtualenv that
scripts/clients-setup makes.

    send.py zulip|slack|apprise

Reads INLET_INGRESS_URL (http://127.0.0.1:PORT) and INLET_TOKEN (a
webhook's token) from the environment.
"""

import json
import os
import sys
from urllib.parse import urlsplit


def zulip_send(url, token):
    import zulip

    # The e-mail is any: the webhook's token is the API key.
    client = zulip.Client(email="ci-bot@example.com", api_key=token, site=url)
    first = client.send_message(
        {"type": "stream", "to": "town-square", "topic": "deploys", "content": "Deploy **started**"}
    )
    second = client.send_message(
        {"type": "stream", "to": ["town-square"], "topic": "deploys", "content": "Deploy done"}
    )
    missing = client.send_message(
        {"type": "stream", "to": "no-such-channel", "topic": "deploys", "content": "lost"}
    )
    return {
        "zulip_version": client.zulip_version,
        "feature_level": client.feature_level,
        "first": first,
        "second": second,
        "missing": missing,
    }


def slack_post(url, token):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=token, base_url=url + "/api/")
    root = client.chat_postMessage(channel="town-square", text="Build *42* failed")
    reply = client.chat_postMessage(
        channel="town-square",
        text="fixed in build 43",
        thread_ts=root["ts"],
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "fixed in *build 43*"}}],
    )
    try:
        client.chat_postMessage(channel="no-such-channel", text="lost")
        error = None
    except SlackApiError as failure:
        error = failure.response["error"]
    return {"root": root.data, "reply": reply.data, "error": error}


def apprise_notify(url, token):
    import apprise

    parts = urlsplit(url)
    notifier = apprise.Apprise()
    # Apprise's Mattermost URL: mmost://host:port/token posts to /hooks/token.
    added = notifier.add(f"mmost://{parts.hostname}:{parts.port}/{token}")
    sent = notifier.notify(title="Backup", body="Nightly backup finished in 42 s")
    return {"added": bool(added), "sent": bool(sent)}


def main():
    url = os.environ["INLET_INGRESS_URL"].rstrip("/")
    token = os.environ["INLET_TOKEN"]
    senders = {"zulip": zulip_send, "slack": slack_post, "apprise": apprise_notify}
    result = senders[sys.argv[1]](url, token)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
