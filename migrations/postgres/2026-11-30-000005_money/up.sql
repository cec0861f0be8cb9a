-- Money integrity (issue 10).
--
-- Vouchers: a use is reserved when an order is placed (it counts against max_uses at once),
-- turned into a use when the order is paid and given back when it is cancelled or expires.
-- imported_uses counts uses made in the old bot (import-legacy), which no order here holds.
ALTER TABLE vouchers ADD COLUMN reserved_count INTEGER NOT NULL DEFAULT 0 CHECK (reserved_count >= 0);
ALTER TABLE vouchers ADD COLUMN imported_uses INTEGER NOT NULL DEFAULT 0 CHECK (imported_uses >= 0);
-- Orders placed before this change and still open hold their reservation from now on.
UPDATE vouchers SET reserved_count = (
    SELECT COUNT(*) FROM orders o WHERE o.voucher_id = vouchers.id AND o.status = 'pending'
);

-- What the poller knows about a payment beyond its status (a table of its own: payments is at
-- diesel's 16-column limit). review_reason: the gateway answered inconsistently (another
-- amount or project, an unknown status), so nothing is delivered, the owners are told once and
-- a person decides. checked_at: when the gateway was last asked about a closed payment (closed
-- payments are re-checked for a window, since money can still arrive).
CREATE TABLE payment_checks (
    payment_id    BIGINT PRIMARY KEY REFERENCES payments (id),
    review_reason TEXT,
    flagged_at    BIGINT,
    checked_at    BIGINT,
    checks        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payments_closed_idx ON payments (status, updated_at);

-- Ledger reasons are typed now; the one free-text reason gets its typed name.
UPDATE balance_ledger SET reason = 'late_refund' WHERE reason = 'refund: paid after expiry';
-- One ledger row per (reason, reference): a backstop against crediting a payment twice.
-- Rows a double completion already wrote are kept but renamed, so the index can be built and
-- `autoorder reconcile` names them (their reference no longer points at anything).
UPDATE balance_ledger SET reference = reference || '#duplicate-' || id
WHERE reference IS NOT NULL
  AND id NOT IN (SELECT MIN(id) FROM balance_ledger WHERE reference IS NOT NULL GROUP BY reason, reference);
CREATE UNIQUE INDEX balance_ledger_reason_reference_idx ON balance_ledger (reason, reference)
    WHERE reference IS NOT NULL;
