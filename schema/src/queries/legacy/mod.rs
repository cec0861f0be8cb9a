//! Moving a store from the old Python bot (`moccalatte/bot-auto-order`) as storage.
//!
//! Layout: this file holds the typed store ([`LegacyStore`]) the CLI reads from the old
//! database and converts to our units — whole Rupiah, epoch milliseconds, our statuses and
//! template keys, plaintext stock and SNK answers — together with the issue and report types;
//! [`ids`] keeps the `legacy_ids` mapping table; `write` is the one transaction that brings
//! everything in.
//!
//! [`import_legacy`] checks first (nothing written): a legacy user already mapped to another
//! Telegram id (another store's database), product or voucher codes and gateway ids this store
//! already uses for something else. Any of those is an issue and nothing changes. Otherwise,
//! in **one** write transaction, in this order: users (opening balance as one ledger row,
//! reason `import`, reference `legacy-user:<id>`), categories, products, unsold stock
//! (encrypted like every stock item), vouchers (used count kept as consumed uses), orders with
//! their items, the stock they sold and their payments, deposits with their payments, templates,
//! SNK answers (encrypted under our key), the old audit rows, and one `legacy.import` audit
//! entry with the counts. Every row written is recorded in `legacy_ids` in the same
//! transaction, and a row already recorded is skipped, so a second run adds nothing and a run
//! after the old bot took more orders adds only those. A dry run does all of it and rolls back.

pub mod ids;
mod write;

use std::collections::BTreeMap;
use std::fmt;

use crate::crypto::DataKeys;
use crate::db::DbConnection;
use crate::error::StoreError;
use crate::secret::Secret;

pub use write::{LEDGER_REASON, import_legacy, ledger_reference};

/// The kinds of old rows the mapping table records (one per table they become).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyKind {
    User,
    Category,
    Product,
    Stock,
    Voucher,
    Order,
    Payment,
    Deposit,
    Template,
    SnkAnswer,
    Audit,
}

impl LegacyKind {
    /// Every kind, in import order.
    pub const ALL: [LegacyKind; 11] = [
        LegacyKind::User,
        LegacyKind::Category,
        LegacyKind::Product,
        LegacyKind::Stock,
        LegacyKind::Voucher,
        LegacyKind::Order,
        LegacyKind::Payment,
        LegacyKind::Deposit,
        LegacyKind::Template,
        LegacyKind::SnkAnswer,
        LegacyKind::Audit,
    ];

    /// As stored in `legacy_ids.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyKind::User => "user",
            LegacyKind::Category => "category",
            LegacyKind::Product => "product",
            LegacyKind::Stock => "stock",
            LegacyKind::Voucher => "voucher",
            LegacyKind::Order => "order",
            LegacyKind::Payment => "payment",
            LegacyKind::Deposit => "deposit",
            LegacyKind::Template => "template",
            LegacyKind::SnkAnswer => "snk_answer",
            LegacyKind::Audit => "audit",
        }
    }

    /// The old bot's table the rows come from, for messages a seller can check there.
    pub fn legacy_table(self) -> &'static str {
        match self {
            LegacyKind::User => "users",
            LegacyKind::Category => "categories",
            LegacyKind::Product => "products",
            LegacyKind::Stock => "product_contents",
            LegacyKind::Voucher => "coupons",
            LegacyKind::Order => "orders",
            LegacyKind::Payment => "payments",
            LegacyKind::Deposit => "deposits",
            LegacyKind::Template => "reply_templates",
            LegacyKind::SnkAnswer => "product_term_submissions",
            LegacyKind::Audit => "audit_log",
        }
    }
}

/// An id in the old bot's database: a number, an order UUID or a template label, as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegacyId(pub String);

impl From<i64> for LegacyId {
    fn from(id: i64) -> Self {
        LegacyId(id.to_string())
    }
}

impl From<&str> for LegacyId {
    fn from(id: &str) -> Self {
        LegacyId(id.to_string())
    }
}

impl fmt::Display for LegacyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Something about one old row: a problem that stops the import, or a note the seller should
/// read (an amount rounded, a placeholder with no equivalent). Shown as
/// `TABLE #ID FIELD: reason`; never quotes stock contents or SNK answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LegacyIssue {
    pub kind: LegacyKind,
    pub legacy_id: String,
    pub field: &'static str,
    pub reason: String,
}

impl LegacyIssue {
    /// An issue about row `legacy_id` of `kind`'s table.
    pub fn new(
        kind: LegacyKind,
        legacy_id: impl fmt::Display,
        field: &'static str,
        reason: impl Into<String>,
    ) -> LegacyIssue {
        LegacyIssue {
            kind,
            legacy_id: legacy_id.to_string(),
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for LegacyIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} #{} {}: {}",
            self.kind.legacy_table(),
            self.legacy_id,
            self.field,
            self.reason
        )
    }
}

/// A whole store as read from the old bot, converted to our units and statuses. Rows refer
/// to each other by their old ids.
#[derive(Debug, Clone, Default)]
pub struct LegacyStore {
    pub users: Vec<LegacyUser>,
    pub categories: Vec<LegacyCategory>,
    pub products: Vec<LegacyProduct>,
    /// Unsold stock (`product_contents` not used); sold ones travel with their order.
    pub stock: Vec<LegacyStock>,
    pub vouchers: Vec<LegacyVoucher>,
    pub orders: Vec<LegacyOrder>,
    pub deposits: Vec<LegacyDeposit>,
    pub templates: Vec<LegacyTemplate>,
    pub snk_answers: Vec<LegacySnkAnswer>,
    pub audit: Vec<LegacyAudit>,
}

impl LegacyStore {
    /// How many rows of each kind the store holds (payments counted inside orders and
    /// deposits, sold stock inside orders).
    pub fn counts(&self) -> BTreeMap<LegacyKind, usize> {
        let payments = self.orders.iter().map(|o| o.payments.len()).sum::<usize>()
            + self.deposits.iter().filter(|d| d.payment.is_some()).count();
        let stock = self.stock.len() + self.orders.iter().map(|o| o.sold.len()).sum::<usize>();
        BTreeMap::from([
            (LegacyKind::User, self.users.len()),
            (LegacyKind::Category, self.categories.len()),
            (LegacyKind::Product, self.products.len()),
            (LegacyKind::Stock, stock),
            (LegacyKind::Voucher, self.vouchers.len()),
            (LegacyKind::Order, self.orders.len()),
            (LegacyKind::Payment, payments),
            (LegacyKind::Deposit, self.deposits.len()),
            (LegacyKind::Template, self.templates.len()),
            (LegacyKind::SnkAnswer, self.snk_answers.len()),
            (LegacyKind::Audit, self.audit.len()),
        ])
    }
}

/// A customer. Our user id is the Telegram id.
#[derive(Debug, Clone)]
pub struct LegacyUser {
    pub legacy_id: LegacyId,
    pub telegram_id: i64,
    pub username: Option<String>,
    pub first_name: String,
    pub display_name: Option<String>,
    /// Stored encrypted, like every WhatsApp number.
    pub whatsapp: Option<Secret<String>>,
    /// Whole Rupiah, credited as the opening ledger row.
    pub balance: i64,
    pub is_blocked: bool,
    /// The old bot saw "bot was blocked by the user": broadcasts skip them until they write.
    pub unreachable: bool,
    pub is_verified: bool,
    pub created_at: i64,
}

/// A category (matched to ours by name when the store already has it).
#[derive(Debug, Clone)]
pub struct LegacyCategory {
    pub legacy_id: LegacyId,
    pub name: String,
    pub created_at: i64,
}

/// A product; its code is kept (a store-wide code already used is an issue).
#[derive(Debug, Clone)]
pub struct LegacyProduct {
    pub legacy_id: LegacyId,
    pub code: String,
    pub name: String,
    pub description: String,
    /// Whole Rupiah.
    pub price: i64,
    pub category: Option<LegacyId>,
    /// The old `product_terms` text.
    pub snk: Option<String>,
    /// The old `is_active = false`.
    pub archived: bool,
    pub sold_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One stock item (an old `product_contents` row).
#[derive(Debug, Clone)]
pub struct LegacyStock {
    pub legacy_id: LegacyId,
    pub product: LegacyId,
    pub content: Secret<String>,
    pub created_at: i64,
    /// When it was sold (sold items only).
    pub sold_at: Option<i64>,
}

/// How a voucher discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherKind {
    /// `value` percent of the subtotal.
    Percent,
    /// `value` Rupiah off.
    Flat,
}

impl VoucherKind {
    /// As stored in `vouchers.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherKind::Percent => "percent",
            VoucherKind::Flat => "flat",
        }
    }
}

/// A coupon. Its used count is kept as consumed uses no imported order holds.
#[derive(Debug, Clone)]
pub struct LegacyVoucher {
    pub legacy_id: LegacyId,
    pub code: String,
    pub kind: VoucherKind,
    /// Percent, or whole Rupiah.
    pub value: i64,
    pub max_uses: Option<i32>,
    pub used_count: i32,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub created_at: i64,
}

/// What an old order becomes: paid ones are delivered history, unpaid ones closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedOrderStatus {
    /// Paid in the old bot: delivered history the customer sees in *Pesanan Saya*.
    Delivered,
    Cancelled,
    /// Expired, or still waiting for payment when the old bot stopped.
    Expired,
}

impl ImportedOrderStatus {
    /// As stored in `orders.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportedOrderStatus::Delivered => crate::queries::shop::status::DELIVERED,
            ImportedOrderStatus::Cancelled => crate::queries::shop::status::CANCELLED,
            ImportedOrderStatus::Expired => crate::queries::shop::status::EXPIRED,
        }
    }
}

/// How an old order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedPayMethod {
    Qris,
    Balance,
    /// Anything else: confirmed by a seller, or never paid.
    Manual,
}

impl ImportedPayMethod {
    /// As stored in `orders.payment_method` and `payments.method`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportedPayMethod::Qris => "qris",
            ImportedPayMethod::Balance => "balance",
            ImportedPayMethod::Manual => "manual",
        }
    }
}

/// An order with its lines, the stock it sold and its payment attempts.
#[derive(Debug, Clone)]
pub struct LegacyOrder {
    /// The old UUID.
    pub legacy_id: LegacyId,
    pub user: LegacyId,
    /// Ours, unique, derived from the old id (`OLD-…`).
    pub invoice_no: String,
    pub status: ImportedOrderStatus,
    pub method: ImportedPayMethod,
    pub subtotal: i64,
    pub discount: i64,
    pub fee: i64,
    pub total: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub items: Vec<LegacyOrderItem>,
    pub sold: Vec<LegacyStock>,
    pub payments: Vec<LegacyPayment>,
}

/// One line of an order (lines of one product merged).
#[derive(Debug, Clone)]
pub struct LegacyOrderItem {
    pub product: LegacyId,
    pub product_name: String,
    pub unit_price: i64,
    pub quantity: i32,
}

/// What an old payment becomes: only completed stays open to nothing; the rest are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedPaymentStatus {
    Completed,
    /// Expired, or still open when the old bot stopped (its gateway id is never reused).
    Expired,
    Cancelled,
    Failed,
}

impl ImportedPaymentStatus {
    /// As stored in `payments.status`.
    pub fn as_str(self) -> &'static str {
        use crate::queries::shop::status;
        match self {
            ImportedPaymentStatus::Completed => status::COMPLETED,
            ImportedPaymentStatus::Expired => status::EXPIRED,
            ImportedPaymentStatus::Cancelled => status::CANCELLED,
            ImportedPaymentStatus::Failed => status::FAILED,
        }
    }
}

/// A gateway transaction, kept as history under its own gateway id.
#[derive(Debug, Clone)]
pub struct LegacyPayment {
    pub legacy_id: LegacyId,
    pub gateway_order_id: String,
    pub method: ImportedPayMethod,
    /// Whole Rupiah, what the gateway was asked for.
    pub amount: i64,
    pub fee: Option<i64>,
    pub total_payment: Option<i64>,
    pub status: ImportedPaymentStatus,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an old deposit becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedDepositStatus {
    /// Credited in the old bot (the money is in the opening balance, not credited again).
    Completed,
    Cancelled,
    Expired,
}

impl ImportedDepositStatus {
    /// As stored in `deposits.status`.
    pub fn as_str(self) -> &'static str {
        use crate::queries::shop::status;
        match self {
            ImportedDepositStatus::Completed => status::COMPLETED,
            ImportedDepositStatus::Cancelled => status::CANCELLED,
            ImportedDepositStatus::Expired => status::EXPIRED,
        }
    }
}

/// A balance top-up, kept as history.
#[derive(Debug, Clone)]
pub struct LegacyDeposit {
    pub legacy_id: LegacyId,
    pub user: LegacyId,
    pub amount: i64,
    pub status: ImportedDepositStatus,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// Its gateway transaction, when it had one.
    pub payment: Option<LegacyPayment>,
}

/// A seller-edited text under one of our template keys.
#[derive(Debug, Clone)]
pub struct LegacyTemplate {
    /// The old label (or configuration key).
    pub legacy_id: LegacyId,
    /// Our key (`welcome`, `cara_order`, …).
    pub key: String,
    pub body: String,
    /// A Telegram photo file id: the same bot keeps its file ids.
    pub photo: Option<String>,
}

/// A customer's SNK answer, decrypted from the old bot's Fernet token.
#[derive(Debug, Clone)]
pub struct LegacySnkAnswer {
    pub legacy_id: LegacyId,
    pub order: LegacyId,
    pub product: LegacyId,
    pub user_telegram_id: i64,
    pub text: Option<Secret<String>>,
    pub photo_file_id: Option<String>,
    pub created_at: i64,
}

/// An old audit row, kept as history.
#[derive(Debug, Clone)]
pub struct LegacyAudit {
    pub legacy_id: LegacyId,
    pub at: i64,
    /// The old actor (free text there).
    pub actor: Option<String>,
    pub action: String,
    /// JSON.
    pub details: String,
}

/// Rows of one kind: written now, or skipped because an earlier import wrote them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCount {
    pub imported: usize,
    pub already: usize,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub counts: BTreeMap<LegacyKind, KindCount>,
    /// Rupiah credited as opening balances.
    pub balance_imported: i64,
    /// Things the seller should read that did not stop the import.
    pub notes: Vec<LegacyIssue>,
}

impl ImportReport {
    /// Rows written, over all kinds.
    pub fn imported(&self) -> usize {
        self.counts.values().map(|c| c.imported).sum()
    }
}

/// Whether the import is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Commit.
    Write,
    /// Every check and every write, then a rollback.
    DryRun,
}

/// Told how far the import got, for a progress bar. Called from inside the transaction.
pub trait ImportProgress {
    /// `done` of `total` rows of `kind` handled.
    fn step(&self, kind: LegacyKind, done: usize, total: usize);
}

/// No progress reporting.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn step(&self, _: LegacyKind, _: usize, _: usize) {}
}

/// Runs [`import_legacy`] with the keys and mode, no progress: for tests and small callers.
pub fn import_quietly(
    conn: &mut DbConnection,
    keys: &DataKeys,
    store: &LegacyStore,
    mode: ImportMode,
) -> Result<Result<ImportReport, Vec<LegacyIssue>>, StoreError> {
    import_legacy(conn, keys, store, mode, &NoProgress)
}
