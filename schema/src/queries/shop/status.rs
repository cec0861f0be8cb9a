//! Typed statuses and ledger reasons, stored as TEXT.
//!
//! Layout: a small macro that gives each enum its stored spelling, parsing and comparison with
//! a `&str`; then the enums ([`PaymentStatus`], [`OrderStatus`], [`DepositStatus`],
//! [`PaymentChannel`], [`LedgerReason`]); then the plain string constants older callers
//! compare with (`status::PAID`, …), which spell the same values.
//!
//! The columns stay TEXT (one table definition serves both backends); rows are read into these
//! enums through diesel's `deserialize_as = String` plus `TryFrom<String>`, and written with
//! `as_str()`. A value the enum does not know is a [`UnknownValue`] error, never a silent
//! default: money code must not guess.

use std::fmt;

/// A stored status or reason this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?} in the database")]
pub struct UnknownValue {
    /// Which enum was read (`payment status`, `ledger reason`, …).
    pub kind: &'static str,
    /// The stored text.
    pub value: String,
}

/// Defines a text-backed enum: `as_str`, `parse`, `Display`, `TryFrom<String>` and equality
/// with `&str`, so `row.status == status::PENDING` keeps reading naturally. Written by hand
/// because it is four lines per enum and no crate in the tree does exactly this.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the stored spelling.
            pub fn parse(text: &str) -> Result<$name, UnknownValue> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue { kind: $kind, value: other.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(text: String) -> Result<$name, UnknownValue> {
                $name::parse(&text)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}

text_enum! {
    /// Where one gateway attempt (or a balance/manual payment) stands.
    PaymentStatus, "payment status" {
        /// The row exists; the gateway call that creates the transaction is under way.
        Creating => "creating",
        /// Created at the gateway (or a balance payment about to complete): waiting for money.
        Pending => "pending",
        /// Paid, and acted on exactly once (order completed, deposit credited or refunded).
        Completed => "completed",
        /// The gateway's expiry passed unpaid.
        Expired => "expired",
        /// Cancelled by the customer (or replaced by a manual payment).
        Cancelled => "cancelled",
        /// The gateway could not create it.
        Failed => "failed",
    }
}

impl PaymentStatus {
    /// Still waiting for money: only these may be closed, and only these are polled.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Creating | PaymentStatus::Pending)
    }

    /// Closed without being paid: re-checked with the gateway for a while, since money can
    /// still arrive (paid seconds before the close, webhook lost).
    pub fn is_closed_unpaid(self) -> bool {
        matches!(
            self,
            PaymentStatus::Expired | PaymentStatus::Cancelled | PaymentStatus::Failed
        )
    }

    /// The states an unpaid payment can be closed into (the guard of every close).
    pub const OPEN: [&'static str; 2] = ["creating", "pending"];
    /// Every state but `completed` (the guard of every completion).
    pub const NOT_COMPLETED: [&'static str; 5] =
        ["creating", "pending", "expired", "cancelled", "failed"];
}

text_enum! {
    /// Where an order stands.
    OrderStatus, "order status" {
        /// Placed: its stock (and voucher use) is reserved, waiting for payment.
        Pending => "pending",
        /// Paid: its items are sold to it; delivery is queued.
        Paid => "paid",
        /// Paid and its items were sent.
        Delivered => "delivered",
        /// Closed unpaid by the customer (or a failed gateway call).
        Cancelled => "cancelled",
        /// Closed unpaid at the gateway's expiry.
        Expired => "expired",
    }
}

impl OrderStatus {
    /// Paid or delivered: the order holds its items and its voucher use.
    pub fn is_paid(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Delivered)
    }

    /// Stored spellings of paid orders (for filters).
    pub const PAID: [&'static str; 2] = ["paid", "delivered"];
    /// Stored spellings of orders closed unpaid.
    pub const CLOSED: [&'static str; 2] = ["cancelled", "expired"];
}

text_enum! {
    /// Where a balance top-up stands.
    DepositStatus, "deposit status" {
        Pending => "pending",
        /// Credited to the balance (exactly once).
        Completed => "completed",
        Cancelled => "cancelled",
        Expired => "expired",
    }
}

text_enum! {
    /// How a payment is made (`payments.method`, `orders.payment_method`).
    PaymentChannel, "payment method" {
        /// Pakasir QRIS.
        Qris => "qris",
        /// From the customer's balance, in the checkout transaction.
        Balance => "balance",
        /// Marked paid by a seller (money received outside the bot), with a note.
        Manual => "manual",
    }
}

text_enum! {
    /// Why a balance changed. Every ledger row has one, and `reconcile` checks that its
    /// reference points at what justifies it.
    LedgerReason, "ledger reason" {
        /// A QRIS top-up completed: reference = the payment's gateway order id.
        Deposit => "deposit",
        /// An order paid from the balance: reference = the invoice number.
        Order => "order",
        /// A payment that arrived when its order could not be fulfilled (stock or voucher gone
        /// after expiry, or the order already paid another way): reference = the payment's
        /// gateway order id.
        LateRefund => "late_refund",
        /// A seller changed the balance by hand: reference = `audit:<audit row id>`.
        AdminAdjust => "admin_adjust",
        /// A seller completed a deposit by hand (money received outside the bot):
        /// reference = the manual payment's id.
        ManualPayment => "manual_payment",
        /// An opening balance brought over from the old bot: reference =
        /// `legacy-user:<legacy id>`.
        Import => "import",
    }
}

/// Stored spellings, for callers that compare strings (`order.status == status::PAID`).
pub const PENDING: &str = "pending";
/// See [`PENDING`].
pub const PAID: &str = "paid";
/// See [`PENDING`].
pub const DELIVERED: &str = "delivered";
/// See [`PENDING`].
pub const CANCELLED: &str = "cancelled";
/// See [`PENDING`].
pub const EXPIRED: &str = "expired";
/// See [`PENDING`].
pub const COMPLETED: &str = "completed";
/// See [`PENDING`].
pub const CREATING: &str = "creating";
/// See [`PENDING`].
pub const FAILED: &str = "failed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_unknown_values_are_errors() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Ok(*s));
        }
        for r in LedgerReason::ALL {
            assert_eq!(LedgerReason::try_from(r.as_str().to_string()), Ok(*r));
        }
        assert!(PaymentStatus::parse("paid").is_err());
        assert!(LedgerReason::parse("refund: paid after expiry").is_err());
        assert!(PaymentStatus::Pending == PENDING);
        assert!(OrderStatus::Delivered.is_paid());
        assert_eq!(PaymentStatus::OPEN.len(), 2);
        for s in PaymentStatus::ALL {
            assert_eq!(
                s.is_open(),
                PaymentStatus::OPEN.contains(&s.as_str()),
                "{s}"
            );
            assert_eq!(
                *s != PaymentStatus::Completed,
                PaymentStatus::NOT_COMPLETED.contains(&s.as_str())
            );
        }
    }
}
