DROP TABLE spam_buckets;
CREATE TABLE spam_windows (
    user_id          BIGINT PRIMARY KEY REFERENCES users (id),
    window_start     BIGINT NOT NULL,
    actions          INTEGER NOT NULL,
    warned_at        BIGINT,
    sellers_told_at  BIGINT
);
DROP TABLE outbox;
DROP INDEX inbound_updates_chat_pending_idx;
DROP TABLE chat_claims;
