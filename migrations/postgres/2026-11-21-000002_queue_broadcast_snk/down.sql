DROP INDEX jobs_lease_idx;
DROP TABLE snk_answers;
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
