-- Inlet schema, version 1.
--
-- PostgreSQL is the source of truth: teams, users, channels, webhooks (token
-- hashes only), posts with a gap-free per-channel seq, thread and case
-- claims, the outbox watermark, processed-message dedupe, idempotency keys and
-- dead letters.

CREATE TABLE teams (
    id           uuid PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id           uuid PRIMARY KEY,
    team_id      uuid NOT NULL REFERENCES teams (id),
    username     text NOT NULL CHECK (username ~ '^[a-z0-9._-]{1,64}$'),
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (team_id, username)
);

CREATE TABLE channels (
    id            uuid PRIMARY KEY,
    team_id       uuid NOT NULL REFERENCES teams (id),
    name          text NOT NULL,
    display_name  text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('open', 'private', 'direct')),
    archived      boolean NOT NULL DEFAULT false,
    -- The seq of the newest post; bumped under this row's lock in the
    -- posting transaction, so seq is gap-free and visible in commit order.
    last_seq      bigint NOT NULL DEFAULT 0,
    -- The outbox watermark: every post with seq <= published_seq has been
    -- published on Redis at least once.
    published_seq bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (team_id, name)
);

-- Channels that have unpublished posts: what the outbox relay scans.
CREATE INDEX channels_unpublished ON channels (id) WHERE last_seq > published_seq;

CREATE TABLE channel_members (
    channel_id uuid NOT NULL REFERENCES channels (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, user_id)
);

CREATE TABLE webhooks (
    id                      uuid PRIMARY KEY,
    team_id                 uuid NOT NULL REFERENCES teams (id),
    channel_id              uuid NOT NULL REFERENCES channels (id),
    owner_id                uuid NOT NULL REFERENCES users (id),
    display_name            text NOT NULL,
    description             text NOT NULL DEFAULT '',
    username                text,
    icon_url                text,
    channel_locked          boolean NOT NULL DEFAULT false,
    allow_username_override boolean NOT NULL DEFAULT true,
    allow_icon_override     boolean NOT NULL DEFAULT true,
    allow_channel_mentions  boolean NOT NULL DEFAULT false,
    markup                  text NOT NULL DEFAULT 'markdown' CHECK (markup IN ('markdown', 'slack')),
    -- AES-GCM sealed with secrets.key_file; never stored in the clear.
    signing_secret_sealed   bytea,
    rate_per_minute         integer CHECK (rate_per_minute IS NULL OR rate_per_minute > 0),
    enabled                 boolean NOT NULL DEFAULT true,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash              bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at              timestamptz NOT NULL DEFAULT now(),
    revoked_at              timestamptz,
    last_used_at            timestamptz
);

CREATE INDEX webhooks_team ON webhooks (team_id);

CREATE TABLE posts (
    id          uuid PRIMARY KEY,
    channel_id  uuid NOT NULL REFERENCES channels (id),
    seq         bigint NOT NULL,
    root_id     uuid,
    thread_key  text,
    case_id     text,
    message     text NOT NULL,
    props       jsonb NOT NULL DEFAULT '{}',
    username    text NOT NULL,
    icon_url    text,
    webhook_id  uuid,
    dialect     text NOT NULL,
    message_id  uuid NOT NULL,
    part        integer NOT NULL CHECK (part >= 0),
    received_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, seq),
    -- A redelivered message can never make a second post.
    UNIQUE (message_id, part)
);

CREATE INDEX posts_root ON posts (root_id) WHERE root_id IS NOT NULL;

-- The first post with a thread key in a channel is its root. The primary key
-- is what makes "exactly one root per key" true under any concurrency.
CREATE TABLE thread_claims (
    channel_id   uuid NOT NULL REFERENCES channels (id),
    thread_key   text NOT NULL CHECK (octet_length(thread_key) <= 255),
    root_post_id uuid NOT NULL,
    message_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, thread_key)
);

-- emakin cases: unique per channel.
CREATE TABLE case_claims (
    channel_id   uuid NOT NULL REFERENCES channels (id),
    case_id      text NOT NULL CHECK (octet_length(case_id) <= 255),
    root_post_id uuid NOT NULL,
    message_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, case_id)
);

-- Raw messages whose effect is committed: a redelivery finds its row and is
-- acknowledged without doing anything again.
CREATE TABLE processed_messages (
    message_id   uuid PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Sender idempotency: (webhook, Idempotency-Key) -> the first message and
-- its verdict, kept 24 h.
CREATE TABLE idempotency_keys (
    webhook_id uuid NOT NULL,
    key        text NOT NULL CHECK (octet_length(key) <= 255),
    message_id uuid NOT NULL,
    verdict    jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, key)
);

CREATE TABLE dead_letters (
    id           uuid PRIMARY KEY,
    message_id   uuid NOT NULL,
    stage        text NOT NULL,
    reason       text NOT NULL,
    detail       text NOT NULL,
    dialect      text,
    webhook_id   uuid,
    -- The bus message as it was (protobuf); never holds a token.
    payload      bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz,
    discarded_at timestamptz
);

CREATE INDEX dead_letters_open ON dead_letters (created_at) WHERE replayed_at IS NULL AND discarded_at IS NULL;
