-- The shop: where invoice messages live (to clean them up when a payment ends), and the
-- per-user anti-spam window that must hold across restarts.

CREATE TABLE invoice_messages (
    payment_id BIGINT PRIMARY KEY REFERENCES payments (id),
    chat_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL
);

CREATE TABLE spam_windows (
    user_id          BIGINT PRIMARY KEY REFERENCES users (id),
    window_start     BIGINT NOT NULL,
    actions          INTEGER NOT NULL,
    warned_at        BIGINT,
    sellers_told_at  BIGINT
);

CREATE INDEX stock_items_product_state_idx ON stock_items (product_id, state);
