-- Webhook tokens issued from now on end with a MAC of their random part
-- under this installation's key, so that ingress tells a token Inlet issued
-- from a guess without a database lookup. The key is made here, once, from
-- PostgreSQL's strong random source (two random UUIDs, 244 random bits,
-- hashed to 32 bytes), and never leaves the database and the services.
CREATE TABLE token_key (
    id   smallint PRIMARY KEY CHECK (id = 1),
    key  bytea NOT NULL CHECK (length(key) = 32)
);

INSERT INTO token_key (id, key)
VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')));

-- Tokens issued before have no MAC: ingress keeps the hashes of those still
-- active and looks only them up in the database. Every token issued from
-- now on is signed.
ALTER TABLE webhooks ADD COLUMN token_signed boolean NOT NULL DEFAULT false;
ALTER TABLE webhooks ALTER COLUMN token_signed SET DEFAULT true;
