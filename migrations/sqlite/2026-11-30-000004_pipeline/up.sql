-- The update pipeline (SPEC §5 "every customer answered, effects once").
--
-- chat_claims: one row per chat that ever sent an update. A worker (replica) that holds the
-- claim handles that chat's updates, in update_id order, one at a time; different chats are
-- handled concurrently. A claim is taken with FOR UPDATE SKIP LOCKED and renewed while a
-- handler runs; `worker = ''` with a future `locked_until` is a cool-down after a failure.
-- `claimed_at` orders claims round-robin so no chat starves.
CREATE TABLE chat_claims (
    chat_id      BIGINT PRIMARY KEY,
    worker       TEXT NOT NULL DEFAULT '',
    locked_until BIGINT NOT NULL DEFAULT 0,
    claimed_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX chat_claims_free_idx ON chat_claims (locked_until, claimed_at);

-- Every update belongs to a chat (0 for the few kinds that have none).
INSERT OR IGNORE INTO chat_claims (chat_id)
    SELECT DISTINCT COALESCE(chat_id, 0) FROM inbound_updates WHERE status = 'pending';
UPDATE inbound_updates SET chat_id = 0 WHERE chat_id IS NULL;
CREATE INDEX inbound_updates_chat_pending_idx ON inbound_updates (status, chat_id, update_id);

-- What handlers decided to send, written in the handler's transaction and sent after the
-- commit by the replica holding the send lease. Per chat in id order; `lane` 0 = answer to a
-- button press (not rate-limited), 1 = reply. A row is deleted once sent (or given up).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id         BIGINT NOT NULL,
    lane            SMALLINT NOT NULL,
    payload         TEXT NOT NULL,
    update_id       BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    locked_by       TEXT,
    locked_until    BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due_idx ON outbox (locked_until, id);
CREATE INDEX outbox_chat_idx ON outbox (chat_id, id);

-- Anti-spam as a token bucket (SPAM_MAX_ACTIONS per SPAM_WINDOW_SECONDS sustained, with a
-- burst), replacing the fixed window.
DROP TABLE spam_windows;
CREATE TABLE spam_buckets (
    user_id          BIGINT PRIMARY KEY REFERENCES users (id),
    tokens_milli     BIGINT NOT NULL,
    refilled_at      BIGINT NOT NULL,
    warned_at        BIGINT,
    sellers_told_at  BIGINT
);
