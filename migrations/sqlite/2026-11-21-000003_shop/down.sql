DROP INDEX stock_items_product_state_idx;
DROP TABLE spam_windows;
DROP TABLE invoice_messages;
