DROP INDEX stock_items_hash_idx;
ALTER TABLE templates DROP COLUMN version;
ALTER TABLE categories DROP COLUMN version;
ALTER TABLE products DROP COLUMN snk_version;
ALTER TABLE products DROP COLUMN version;
DROP TABLE seller_prefs;
DROP INDEX admin_wizards_expiry_idx;
DROP TABLE admin_wizards;
