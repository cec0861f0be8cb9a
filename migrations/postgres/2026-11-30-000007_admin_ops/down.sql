DROP INDEX broadcast_recipients_updated_idx;
DROP INDEX deposits_completed_idx;
DROP INDEX users_last_seen_idx;
DROP INDEX users_created_idx;
DROP INDEX order_items_product_idx;
DROP INDEX orders_paid_idx;
DROP INDEX orders_created_idx;

ALTER TABLE broadcasts DROP COLUMN progress_edited_at;
ALTER TABLE broadcasts DROP COLUMN progress_message_id;
ALTER TABLE broadcasts DROP COLUMN progress_chat_id;
ALTER TABLE broadcasts DROP COLUMN copy_message_id;
ALTER TABLE broadcasts DROP COLUMN copy_from_chat_id;
ALTER TABLE broadcasts DROP COLUMN audience;

ALTER TABLE users DROP COLUMN blocked_by;
ALTER TABLE users DROP COLUMN blocked_at;
ALTER TABLE users DROP COLUMN blocked_reason;
