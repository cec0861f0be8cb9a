//! Reading the old bot's PostgreSQL database as it is, in one read-only snapshot.
//!
//! Rows are read with diesel `sql_query` into the structs below (one per old table, the old
//! column names kept), with times as epoch milliseconds and ids as text, so nothing here
//! depends on the old bot's types. Columns and tables the old bot only adds at run time
//! (`users.is_blocked`, `admin_custom_configs`, …) may be missing in an older store: they are
//! looked up first and read as NULL / no rows when absent.

use std::collections::HashSet;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use super::LegacyImportError;

/// Everything the import reads, as the old bot stored it.
#[derive(Debug, Default)]
pub struct RawStore {
    pub users: Vec<RawUser>,
    pub categories: Vec<RawCategory>,
    pub products: Vec<RawProduct>,
    pub contents: Vec<RawContent>,
    pub coupons: Vec<RawCoupon>,
    pub orders: Vec<RawOrder>,
    pub order_items: Vec<RawOrderItem>,
    pub payments: Vec<RawPayment>,
    pub deposits: Vec<RawDeposit>,
    pub reply_templates: Vec<RawReplyTemplate>,
    pub configs: Vec<RawConfig>,
    pub terms: Vec<RawTerm>,
    pub submissions: Vec<RawSubmission>,
    pub audit: Vec<RawAudit>,
}

/// `users`.
#[derive(Debug, QueryableByName)]
pub struct RawUser {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub telegram_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub balance_cents: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub whatsapp_number: Option<String>,
    #[diesel(sql_type = Bool)]
    pub is_verified: bool,
    #[diesel(sql_type = Bool)]
    pub is_blocked: bool,
    #[diesel(sql_type = Bool)]
    pub bot_blocked: bool,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
}

/// `categories`.
#[derive(Debug, QueryableByName)]
pub struct RawCategory {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Bool)]
    pub is_active: bool,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
}

/// `products`.
#[derive(Debug, QueryableByName)]
pub struct RawProduct {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub category_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub price_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub sold_count: i64,
    #[diesel(sql_type = Bool)]
    pub is_active: bool,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub updated_at: i64,
}

/// `product_contents`: the stock. `Debug` never shows the content.
#[derive(QueryableByName)]
pub struct RawContent {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub product_id: i64,
    #[diesel(sql_type = Text)]
    pub content: String,
    #[diesel(sql_type = Bool)]
    pub is_used: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub used_by_order_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub used_at: Option<i64>,
}

impl std::fmt::Debug for RawContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawContent")
            .field("id", &self.id)
            .field("product_id", &self.product_id)
            .field("content", &"[redacted]")
            .field("is_used", &self.is_used)
            .finish_non_exhaustive()
    }
}

/// `coupons`.
#[derive(Debug, QueryableByName)]
pub struct RawCoupon {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub discount_type: String,
    #[diesel(sql_type = BigInt)]
    pub discount_value: i64,
    #[diesel(sql_type = Nullable<Integer>)]
    pub max_uses: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub used_count: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub valid_from: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub valid_until: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
}

/// `orders`.
#[derive(Debug, QueryableByName)]
pub struct RawOrder {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub total_price_cents: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub updated_at: i64,
}

/// `order_items`.
#[derive(Debug, QueryableByName)]
pub struct RawOrderItem {
    #[diesel(sql_type = Text)]
    pub order_id: String,
    #[diesel(sql_type = BigInt)]
    pub product_id: i64,
    #[diesel(sql_type = Integer)]
    pub quantity: i32,
    #[diesel(sql_type = BigInt)]
    pub unit_price_cents: i64,
}

/// `payments`.
#[derive(Debug, QueryableByName)]
pub struct RawPayment {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub order_id: String,
    #[diesel(sql_type = Text)]
    pub gateway_order_id: String,
    #[diesel(sql_type = Text)]
    pub method: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub amount_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub fee_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub total_payment_cents: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub expires_at: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub updated_at: i64,
}

/// `deposits`.
#[derive(Debug, QueryableByName)]
pub struct RawDeposit {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    #[diesel(sql_type = BigInt)]
    pub amount_cents: i64,
    #[diesel(sql_type = Text)]
    pub method: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub gateway_order_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub fee_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub payable_cents: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub expires_at: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
    #[diesel(sql_type = BigInt)]
    pub updated_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub completed_at: Option<i64>,
}

/// `reply_templates`.
#[derive(Debug, QueryableByName)]
pub struct RawReplyTemplate {
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = Text)]
    pub content: String,
    #[diesel(sql_type = Bool)]
    pub is_active: bool,
}

/// `admin_custom_configs` (where the old bot keeps the *Cara Order* text and photo).
#[derive(Debug, QueryableByName)]
pub struct RawConfig {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub value: String,
}

/// `product_terms`: the SNK text of a product.
#[derive(Debug, QueryableByName)]
pub struct RawTerm {
    #[diesel(sql_type = BigInt)]
    pub product_id: i64,
    #[diesel(sql_type = Text)]
    pub content: String,
}

/// `product_term_submissions`: a customer's SNK answer, `message` a Fernet token.
#[derive(Debug, QueryableByName)]
pub struct RawSubmission {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub order_id: String,
    #[diesel(sql_type = BigInt)]
    pub product_id: i64,
    #[diesel(sql_type = BigInt)]
    pub telegram_user_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub media_file_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub media_type: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
}

/// `audit_log`.
#[derive(Debug, QueryableByName)]
pub struct RawAudit {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub at: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_id: Option<String>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub details: String,
}

/// A `timestamptz` column as epoch milliseconds.
fn ms(column: &str) -> String {
    format!("(EXTRACT(EPOCH FROM {column}) * 1000)::BIGINT")
}

/// A timestamp that is never NULL (falls back to `fallback`, then to the epoch).
fn ms_or(column: &str, fallback: &str) -> String {
    format!("COALESCE({}, {}, 0)", ms(column), ms(fallback))
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Opens the old database. The URL holds a password: errors never repeat it.
pub fn connect(url: &str) -> Result<PgConnection, LegacyImportError> {
    PgConnection::establish(url).map_err(|e| LegacyImportError::Connect(redact(&e.to_string())))
}

/// libpq may echo the connection string; keep passwords out of what is printed.
fn redact(message: &str) -> String {
    message
        .split_inclusive(char::is_whitespace)
        .map(|w| {
            if w.contains("://") && w.contains('@') {
                "[redacted url] "
            } else {
                w
            }
        })
        .collect()
}

/// Reads the whole store in one read-only, repeatable-read snapshot, so rows agree with each
/// other even if something still writes to the old database.
pub fn read(conn: &mut PgConnection) -> Result<RawStore, LegacyImportError> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(read_all)
        .map_err(LegacyImportError::Read)
}

fn read_all(c: &mut PgConnection) -> QueryResult<RawStore> {
    let tables: HashSet<String> = diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .load::<Name>(c)?
    .into_iter()
    .map(|n| n.name)
    .collect();
    let user_columns: HashSet<String> = diesel::sql_query(
        "SELECT column_name AS name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'users'",
    )
    .load::<Name>(c)?
    .into_iter()
    .map(|n| n.name)
    .collect();
    let optional = |column: &str, kind: &str, default: &str| {
        if user_columns.contains(column) {
            format!("COALESCE({column}, {default})::{kind} AS {column}")
        } else {
            format!("{default}::{kind} AS {column}")
        }
    };
    let text = |column: &str| {
        if user_columns.contains(column) {
            format!("{column}::TEXT AS {column}")
        } else {
            format!("NULL::TEXT AS {column}")
        }
    };
    let has = |t: &str| tables.contains(t);

    let mut raw = RawStore {
        users: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, telegram_id, username, first_name, \
             COALESCE(balance_cents, 0)::BIGINT AS balance_cents, {}, {}, {}, {}, {}, \
             {} AS created_at FROM users ORDER BY id",
            text("display_name"),
            text("whatsapp_number"),
            optional("is_verified", "BOOLEAN", "FALSE"),
            optional("is_blocked", "BOOLEAN", "FALSE"),
            optional("bot_blocked", "BOOLEAN", "FALSE"),
            ms_or("created_at", "updated_at"),
        ))
        .load(c)?,
        categories: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, name, COALESCE(is_active, TRUE) AS is_active, \
             {} AS created_at FROM categories ORDER BY id",
            ms_or("created_at", "updated_at"),
        ))
        .load(c)?,
        products: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, category_id::BIGINT AS category_id, code, name, description, \
             price_cents, sold_count::BIGINT AS sold_count, is_active, {} AS created_at, \
             {} AS updated_at FROM products ORDER BY id",
            ms_or("created_at", "updated_at"),
            ms_or("updated_at", "created_at"),
        ))
        .load(c)?,
        contents: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, product_id::BIGINT AS product_id, content, \
             COALESCE(is_used, FALSE) AS is_used, used_by_order_id::TEXT AS used_by_order_id, \
             {} AS created_at, {} AS used_at FROM product_contents ORDER BY id",
            ms_or("created_at", "created_at"),
            ms("used_at"),
        ))
        .load(c)?,
        coupons: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, code, discount_type, discount_value, max_uses, \
             COALESCE(used_count, 0) AS used_count, {} AS valid_from, {} AS valid_until, \
             {} AS created_at FROM coupons ORDER BY id",
            ms("valid_from"),
            ms("valid_until"),
            ms_or("created_at", "updated_at"),
        ))
        .load(c)?,
        orders: diesel::sql_query(format!(
            "SELECT id::TEXT AS id, user_id::BIGINT AS user_id, total_price_cents, status, \
             {} AS created_at, {} AS updated_at FROM orders ORDER BY created_at, id",
            ms_or("created_at", "updated_at"),
            ms_or("updated_at", "created_at"),
        ))
        .load(c)?,
        order_items: diesel::sql_query(
            "SELECT order_id::TEXT AS order_id, product_id::BIGINT AS product_id, quantity, \
             unit_price_cents FROM order_items ORDER BY id",
        )
        .load(c)?,
        payments: diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, order_id::TEXT AS order_id, gateway_order_id, method, status, \
             amount_cents, COALESCE(fee_cents, 0) AS fee_cents, total_payment_cents, \
             {} AS expires_at, {} AS created_at, {} AS updated_at FROM payments ORDER BY id",
            ms("expires_at"),
            ms_or("created_at", "updated_at"),
            ms_or("updated_at", "created_at"),
        ))
        .load(c)?,
        ..RawStore::default()
    };
    if has("deposits") {
        raw.deposits = diesel::sql_query(format!(
            "SELECT id::BIGINT AS id, user_id::BIGINT AS user_id, amount_cents, method, status, \
             gateway_order_id, COALESCE(fee_cents, 0) AS fee_cents, \
             COALESCE(payable_cents, 0) AS payable_cents, {} AS expires_at, {} AS created_at, \
             {} AS updated_at, {} AS completed_at FROM deposits ORDER BY id",
            ms("expires_at"),
            ms_or("created_at", "updated_at"),
            ms_or("updated_at", "created_at"),
            ms("completed_at"),
        ))
        .load(c)?;
    }
    if has("reply_templates") {
        raw.reply_templates = diesel::sql_query(
            "SELECT label, content, COALESCE(is_active, TRUE) AS is_active FROM reply_templates \
             ORDER BY id",
        )
        .load(c)?;
    }
    if has("admin_custom_configs") {
        raw.configs = diesel::sql_query("SELECT key, value FROM admin_custom_configs ORDER BY key")
            .load(c)?;
    }
    if has("product_terms") {
        raw.terms = diesel::sql_query(
            "SELECT product_id::BIGINT AS product_id, content FROM product_terms ORDER BY product_id",
        )
        .load(c)?;
    }
    if has("product_term_submissions") {
        raw.submissions = diesel::sql_query(format!(
            "SELECT id, order_id::TEXT AS order_id, product_id::BIGINT AS product_id, \
             telegram_user_id, message, media_file_id, media_type, {} AS created_at \
             FROM product_term_submissions ORDER BY id",
            ms_or("created_at", "created_at"),
        ))
        .load(c)?;
    }
    if has("audit_log") {
        raw.audit = diesel::sql_query(format!(
            "SELECT id, {} AS at, actor_id, action, details::TEXT AS details \
             FROM audit_log ORDER BY id",
            ms_or("timestamp", "created_at"),
        ))
        .load(c)?;
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn connection_errors_never_repeat_the_url() {
        let shown = redact("could not connect to postgres://bot:s3cret@db:5432/shop: refused");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("refused"));
    }
}
