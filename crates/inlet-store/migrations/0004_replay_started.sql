-- A replay publishes the message first and closes its dead letter second
-- (a crash in between leaves the letter open, never the message lost). If
-- the replayed message failed again in between, the stage found the old
-- letter still open and counted the new failure as that letter, which the
-- replay then closed: the failure vanished from the open list. A replay
-- now marks its letter first; a letter being replayed no longer absorbs
-- new failures of its message.

ALTER TABLE dead_letters ADD COLUMN replay_started_at timestamptz;
