-- Moving a store from the Python bot (`autoorder import-legacy`): which old row became which of
-- ours, so a second import adds nothing and reconcile can tell imported history from new work.

CREATE TABLE legacy_ids (
    kind         TEXT NOT NULL CHECK (kind IN ('user', 'category', 'product', 'stock', 'voucher',
                                               'order', 'payment', 'deposit', 'template',
                                               'snk_answer', 'audit')),
    legacy_id    TEXT NOT NULL,      -- the old bot's id (a number, an order UUID, a template label)
    new_id       BIGINT,             -- the row it became; NULL for a template (its key is its identity)
    voucher_uses INTEGER,            -- coupons only: uses consumed in the old bot, held by no imported order
    imported_at  BIGINT NOT NULL,
    PRIMARY KEY (kind, legacy_id)
);
CREATE INDEX legacy_ids_new_idx ON legacy_ids (kind, new_id);
