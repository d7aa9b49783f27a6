-- Messages the pipeline answered with a rejection after accepting them
-- (e.g. an emakin case id already reported): every accepted message ends as
-- posts, a recorded rejection, or a dead letter.

CREATE TABLE rejections (
    message_id uuid PRIMARY KEY,
    webhook_id uuid,
    code       text NOT NULL,
    detail     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
