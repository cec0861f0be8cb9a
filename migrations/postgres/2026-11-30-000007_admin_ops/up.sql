-- Seller admin menu, part 2: why a customer is blocked, what a broadcast is sent to and how
-- (audience, a copied message), where its live progress message is, and the indexes the
-- order list, the user search and the reports filter on.

ALTER TABLE users ADD COLUMN blocked_reason TEXT;
ALTER TABLE users ADD COLUMN blocked_at BIGINT;
ALTER TABLE users ADD COLUMN blocked_by BIGINT;

-- JSON of the audience (`{"kind":"all"}`, `{"kind":"buyers_of","product_id":3}`,
-- `{"kind":"active_within","days":7}`), kept to show who a broadcast went to.
ALTER TABLE broadcasts ADD COLUMN audience TEXT NOT NULL DEFAULT '{"kind":"all"}';
-- "Copy any message": the message copied to every recipient with copyMessage.
ALTER TABLE broadcasts ADD COLUMN copy_from_chat_id BIGINT;
ALTER TABLE broadcasts ADD COLUMN copy_message_id BIGINT;
-- The seller's live progress message, and when it was last edited (edits are throttled).
ALTER TABLE broadcasts ADD COLUMN progress_chat_id BIGINT;
ALTER TABLE broadcasts ADD COLUMN progress_message_id BIGINT;
ALTER TABLE broadcasts ADD COLUMN progress_edited_at BIGINT;

CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_paid_idx ON orders (paid_at);
CREATE INDEX order_items_product_idx ON order_items (product_id);
CREATE INDEX users_created_idx ON users (created_at);
CREATE INDEX users_last_seen_idx ON users (last_seen_at);
CREATE INDEX deposits_completed_idx ON deposits (completed_at);
CREATE INDEX broadcast_recipients_updated_idx ON broadcast_recipients (broadcast_id, updated_at);
