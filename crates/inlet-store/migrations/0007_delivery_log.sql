-- The delivery log (docs/operations.md "Delivery log"): whether a webhook's
-- log keeps request bodies, and the lookup of a request's dead letter by
-- its message id (a request's posts are found by `posts (message_id, part)`,
-- its rejection by `rejections`' key).

ALTER TABLE webhooks ADD COLUMN keep_bodies boolean NOT NULL DEFAULT false;

CREATE INDEX dead_letters_message ON dead_letters (message_id);
