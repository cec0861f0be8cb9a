//! The shop's invariant-keeping transactions: catalog reads, the persistent cart, vouchers,
//! checkout with stock reservation, payment completion, expiry, balance and deposits.
//!
//! Invariants kept here, whatever the caller does:
//! - stock is reserved when an order is created and is never oversold (IMMEDIATE transactions
//!   on SQLite, `FOR UPDATE SKIP LOCKED` plus a guarded update on PostgreSQL);
//! - a payment completes once: the items are assigned, the voucher use consumed and the
//!   delivery, SNK and seller-notice jobs enqueued in the same transaction;
//! - a balance equals the sum of its ledger and never goes negative.

pub mod balance;
pub mod carts;
pub mod checkout;
pub mod deposits;
pub mod payments;
pub mod products;
pub mod spam;
pub mod vouchers;

/// Order and payment statuses as stored.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const PAID: &str = "paid";
    pub const DELIVERED: &str = "delivered";
    pub const CANCELLED: &str = "cancelled";
    pub const EXPIRED: &str = "expired";
    pub const COMPLETED: &str = "completed";
    pub const CREATING: &str = "creating";
    pub const FAILED: &str = "failed";
}
