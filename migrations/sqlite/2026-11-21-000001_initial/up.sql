-- Initial schema: the core of the shop and the reliability layer.
-- Times are BIGINT milliseconds since the Unix epoch (UTC) on both backends, money is BIGINT Rupiah.

CREATE TABLE users (
    id             BIGINT PRIMARY KEY,               -- Telegram user id
    username       TEXT,
    first_name     TEXT NOT NULL DEFAULT '',
    display_name   TEXT,
    whatsapp_enc   BLOB,                            -- encrypted at rest (DATA_ENCRYPTION_KEY)
    language       TEXT NOT NULL DEFAULT 'id',
    balance        BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    is_blocked     BOOLEAN NOT NULL DEFAULT FALSE,
    is_verified    BOOLEAN NOT NULL DEFAULT FALSE,
    unreachable_at BIGINT,                           -- set when Telegram says the bot was blocked
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);

CREATE TABLE categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price       BIGINT NOT NULL CHECK (price >= 0),
    category_id BIGINT REFERENCES categories (id),
    snk         TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    archived_at BIGINT,
    sold_count  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE vouchers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('percent', 'flat')),
    value       BIGINT NOT NULL CHECK (value > 0),
    max_uses    INTEGER,
    used_count  INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    valid_from  BIGINT,
    valid_until BIGINT,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL,
    CHECK (max_uses IS NULL OR used_count <= max_uses)
);

CREATE TABLE orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_no     TEXT NOT NULL UNIQUE,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'delivered', 'cancelled', 'expired')),
    payment_method TEXT NOT NULL CHECK (payment_method IN ('qris', 'balance', 'manual')),
    subtotal       BIGINT NOT NULL CHECK (subtotal >= 0),
    discount       BIGINT NOT NULL DEFAULT 0 CHECK (discount >= 0),
    fee            BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    total          BIGINT NOT NULL CHECK (total >= 0),
    voucher_id     BIGINT REFERENCES vouchers (id),
    note           TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT,
    paid_at        BIGINT,
    delivered_at   BIGINT,
    closed_at      BIGINT
);
CREATE INDEX orders_user_idx ON orders (user_id, created_at);
CREATE INDEX orders_status_idx ON orders (status, expires_at);

CREATE TABLE order_items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     BIGINT NOT NULL REFERENCES orders (id),
    product_id   BIGINT NOT NULL REFERENCES products (id),
    product_name TEXT NOT NULL,
    unit_price   BIGINT NOT NULL CHECK (unit_price >= 0),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    UNIQUE (order_id, product_id)
);

CREATE TABLE stock_items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id     BIGINT NOT NULL REFERENCES products (id),
    content_enc    BLOB NOT NULL,                   -- encrypted at rest
    content_hash   TEXT NOT NULL,                    -- keyed hash, to reject duplicates without decrypting
    state          TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'reserved', 'sold')),
    order_id       BIGINT REFERENCES orders (id),
    created_at     BIGINT NOT NULL,
    reserved_at    BIGINT,
    sold_at        BIGINT,
    UNIQUE (product_id, content_hash),
    CHECK ((state = 'available') = (order_id IS NULL))
);
CREATE INDEX stock_items_available_idx ON stock_items (product_id, state, id);
CREATE INDEX stock_items_order_idx ON stock_items (order_id);

CREATE TABLE carts (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id),
    voucher_code TEXT,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE cart_items (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE deposits (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled', 'expired')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    completed_at BIGINT
);

CREATE TABLE payments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway_order_id TEXT NOT NULL UNIQUE,           -- Pakasir's order_id, unique per attempt
    purpose          TEXT NOT NULL CHECK (purpose IN ('order', 'deposit')),
    order_id         BIGINT REFERENCES orders (id),
    deposit_id       BIGINT REFERENCES deposits (id),
    method           TEXT NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    fee              BIGINT,
    total_payment    BIGINT,
    payment_number   TEXT,
    status           TEXT NOT NULL CHECK (status IN ('creating', 'pending', 'completed', 'expired', 'cancelled', 'failed')),
    attempt          INTEGER NOT NULL DEFAULT 1,
    expires_at       BIGINT,
    completed_at     BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CHECK ((purpose = 'order') = (order_id IS NOT NULL)),
    CHECK ((purpose = 'deposit') = (deposit_id IS NOT NULL))
);
CREATE INDEX payments_open_idx ON payments (status, expires_at);

CREATE TABLE balance_ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    delta         BIGINT NOT NULL CHECK (delta <> 0),
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    reason        TEXT NOT NULL,
    reference     TEXT,
    actor_id      BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX balance_ledger_user_idx ON balance_ledger (user_id, id);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    unique_key       TEXT UNIQUE,
    state            TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'running', 'done', 'dead', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL DEFAULT 8,
    run_at           BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX jobs_due_idx ON jobs (state, run_at);

-- Every Telegram update is stored here before the webhook answers 200 (or before polling
-- advances its offset), so a crash never loses one; update_id de-duplicates re-deliveries.
CREATE TABLE inbound_updates (
    update_id    BIGINT PRIMARY KEY,
    chat_id      BIGINT,
    payload      TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('webhook', 'polling')),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX inbound_updates_pending_idx ON inbound_updates (status, update_id);

-- Singleton work (scheduled backups, broadcasts, alerts) runs on the replica holding the lease.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_kind TEXT NOT NULL,
    actor_id   BIGINT,
    action     TEXT NOT NULL,
    subject    TEXT,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);

-- The audit log is append-only: the database itself refuses to rewrite history.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE templates (
    key        TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    photo      TEXT,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE conversation_states (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
