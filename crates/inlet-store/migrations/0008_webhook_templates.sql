-- Per-webhook templates (docs/templates.md). Every saved version is kept in
-- webhook_templates, numbered from 1 per webhook; the webhook's active one
-- is copied onto its row (template, template_version), so that the token
-- lookup ingress makes reads it with the rest of the webhook. A rollback
-- makes an older version active again; NULL means no template (the door's
-- dialect applies).

CREATE TABLE webhook_templates (
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version > 0),
    source jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, version)
);

ALTER TABLE webhooks ADD COLUMN template jsonb;
ALTER TABLE webhooks ADD COLUMN template_version integer;
