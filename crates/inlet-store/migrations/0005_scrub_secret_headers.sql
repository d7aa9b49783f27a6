-- Ingress used to keep every `x-*` request header of an integration request
-- on the raw message, so a secret sent as a header (GitLab's `X-Gitlab-Token`)
-- or a signature was stored in formatter-stage dead letters and shown by the
-- API. Ingress now carries only the headers each integration's translation
-- reads (its event type and delivery id). This removes every other header
-- from the raw webhooks kept in dead letters.
--
-- A formatter-stage dead letter's payload is one `RawWebhook` (protobuf),
-- whose field 9 is a repeated `Header {string name = 1; string value = 2;}`.
-- The functions below walk the protobuf wire format, drop the headers not
-- on the list, and leave everything else byte for byte. A payload that does
-- not parse (it was dead-lettered as undecodable) is left as it is.

CREATE OR REPLACE FUNCTION pg_temp.inlet_varint(b bytea, pos integer, OUT value bigint, OUT next integer)
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    byte integer;
    shift integer := 0;
BEGIN
    value := 0;
    next := pos;
    LOOP
        IF next >= length(b) THEN
            RAISE EXCEPTION 'truncated varint';
        END IF;
        byte := get_byte(b, next);
        next := next + 1;
        IF shift < 63 THEN
            value := value | ((byte & 127)::bigint << shift);
        END IF;
        EXIT WHEN byte < 128;
        shift := shift + 7;
        IF shift > 63 THEN
            RAISE EXCEPTION 'varint too long';
        END IF;
    END LOOP;
END $$;

-- The `name` of an encoded `Header`, lower-cased ('' when absent).
CREATE OR REPLACE FUNCTION pg_temp.inlet_header_name(b bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    pos integer := 0;
    tag record;
    len record;
BEGIN
    WHILE pos < length(b) LOOP
        tag := pg_temp.inlet_varint(b, pos);
        pos := tag.next;
        IF tag.value & 7 <> 2 THEN
            RAISE EXCEPTION 'unexpected wire type in a header';
        END IF;
        len := pg_temp.inlet_varint(b, pos);
        pos := len.next;
        IF tag.value >> 3 = 1 THEN
            RETURN lower(convert_from(substring(b FROM pos + 1 FOR len.value::integer), 'UTF8'));
        END IF;
        pos := pos + len.value::integer;
    END LOOP;
    RETURN '';
END $$;

-- `b` without the headers that no integration's translation reads.
CREATE OR REPLACE FUNCTION pg_temp.inlet_scrub_raw_webhook(b bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    kept constant text[] := ARRAY[
        'x-github-event', 'x-github-delivery',
        'x-gitlab-event', 'x-gitlab-event-uuid',
        'x-gitea-event', 'x-gitea-delivery',
        'sentry-hook-resource', 'request-id'
    ];
    out bytea := ''::bytea;
    pos integer := 0;
    start integer;
    tag record;
    len record;
    field bigint;
    wire bigint;
    payload bytea;
BEGIN
    WHILE pos < length(b) LOOP
        start := pos;
        tag := pg_temp.inlet_varint(b, pos);
        pos := tag.next;
        field := tag.value >> 3;
        wire := tag.value & 7;
        payload := NULL;
        IF wire = 0 THEN
            pos := (pg_temp.inlet_varint(b, pos)).next;
        ELSIF wire = 1 THEN
            pos := pos + 8;
        ELSIF wire = 2 THEN
            len := pg_temp.inlet_varint(b, pos);
            pos := len.next;
            payload := substring(b FROM pos + 1 FOR len.value::integer);
            pos := pos + len.value::integer;
        ELSIF wire = 5 THEN
            pos := pos + 4;
        ELSE
            RAISE EXCEPTION 'unexpected wire type %', wire;
        END IF;
        IF pos > length(b) THEN
            RAISE EXCEPTION 'truncated field';
        END IF;
        IF field = 9 AND wire = 2 AND NOT (pg_temp.inlet_header_name(payload) = ANY (kept)) THEN
            CONTINUE;
        END IF;
        out := out || substring(b FROM start + 1 FOR pos - start);
    END LOOP;
    RETURN out;
EXCEPTION WHEN OTHERS THEN
    RETURN b;
END $$;

UPDATE dead_letters
SET payload = pg_temp.inlet_scrub_raw_webhook(payload)
WHERE stage = 'formatter'
  AND payload IS DISTINCT FROM pg_temp.inlet_scrub_raw_webhook(payload);
