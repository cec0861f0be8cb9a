-- Broadcasts (one job per recipient) and SNK answers (encrypted at rest).

CREATE TABLE broadcasts (
    id            BIGSERIAL PRIMARY KEY,
    text          TEXT NOT NULL,
    photo         BYTEA,                 -- uploaded once, then reused by file id
    photo_name    TEXT,
    photo_file_id TEXT,
    state         TEXT NOT NULL CHECK (state IN ('running', 'paused', 'cancelled', 'done')),
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE broadcast_recipients (
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked', 'cancelled')),
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_recipients_status_idx ON broadcast_recipients (broadcast_id, status);

CREATE TABLE snk_answers (
    id           BIGSERIAL PRIMARY KEY,
    order_ref    TEXT NOT NULL,          -- the order the answer belongs to (invoice number)
    product_id   BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    answer_enc   BYTEA NOT NULL,         -- JSON {text, photo_file_id}, encrypted with DATA_ENCRYPTION_KEY
    created_at   BIGINT NOT NULL,
    UNIQUE (order_ref, product_id)
);
CREATE INDEX snk_answers_age_idx ON snk_answers (created_at);

CREATE INDEX jobs_lease_idx ON jobs (state, lease_expires_at);
