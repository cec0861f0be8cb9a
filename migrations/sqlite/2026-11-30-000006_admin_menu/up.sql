-- The seller admin menu (issue 11): durable wizards, the buyer-mode switch, optimistic versions on
-- what two sellers can edit at once, and a lookup of stock items by content hash across products.

-- One active wizard per seller (the primary key), stored so a restart or another replica continues
-- it; it lapses at expires_at (30 minutes after its last step). state is the JSON of the bot's
-- typed wizard state; payload_enc holds what must not sit in plain text meanwhile (stock lines
-- waiting for confirmation), encrypted with DATA_ENCRYPTION_KEY.
CREATE TABLE admin_wizards (
    seller_id   BIGINT PRIMARY KEY,               -- Telegram id of the seller
    state       TEXT NOT NULL,
    payload_enc BLOB,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX admin_wizards_expiry_idx ON admin_wizards (expires_at);

-- Per-seller switches that outlive a wizard: Mode Pembeli shows the shop as a customer sees it.
CREATE TABLE seller_prefs (
    seller_id  BIGINT PRIMARY KEY,
    buyer_mode BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL
);

-- Optimistic versions: a save names the version it was based on and is refused when another
-- seller saved meanwhile. A product's SNK has its own version so an SNK edit and a price edit
-- never refuse each other.
ALTER TABLE products ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE products ADD COLUMN snk_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE categories ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE templates ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Stock uploads reject an item already anywhere in the store (any product, sold or not).
CREATE INDEX stock_items_hash_idx ON stock_items (content_hash);
