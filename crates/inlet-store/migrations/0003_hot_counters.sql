-- Every delivered batch updates its channels' counters (last_seq, then
-- published_seq). Those updates stay "heap-only" (HOT), so PostgreSQL prunes
-- the old row versions within the page as it goes, without waiting for a
-- vacuum, when no index covers the counters and the pages keep free room:
-- the partial index on unpublished channels covered them (the relay now
-- scans the channels, a small table), and half of each page stays free.

DROP INDEX channels_unpublished;
ALTER TABLE channels SET (fillfactor = 50);
