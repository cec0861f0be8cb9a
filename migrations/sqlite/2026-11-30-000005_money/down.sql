DROP INDEX balance_ledger_reason_reference_idx;
UPDATE balance_ledger SET reason = 'refund: paid after expiry' WHERE reason = 'late_refund';
DROP INDEX payments_closed_idx;
DROP TABLE payment_checks;
ALTER TABLE vouchers DROP COLUMN imported_uses;
ALTER TABLE vouchers DROP COLUMN reserved_count;
