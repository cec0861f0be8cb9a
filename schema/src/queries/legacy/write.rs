//! The import transaction: every check first (reads only), then each table in order, every
//! row written recorded in `legacy_ids` — all in one write transaction.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::ids::{record, recorded};
use super::{
    ImportMode, ImportProgress, ImportReport, LegacyId, LegacyIssue, LegacyKind, LegacyPayment,
    LegacyStock, LegacyStore,
};
use crate::crypto::DataKeys;
use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::queries::catalog::{rules, stock_aad};
use crate::queries::shop::balance::apply_balance_change;
use crate::queries::shop::status::LedgerReason;
use crate::queries::shop::templates::{Template, get_template, set_template};
use crate::queries::snk::snk_aad;
use crate::queries::users::whatsapp_aad;
use crate::tables::{
    audit_log as a, categories as c, deposits as d, order_items as oi, orders as o,
    payments as pay, products as p, snk_answers as sa, stock_items as s, users as u, vouchers as v,
};

/// Rows per `IN (…)` list, well below every backend's parameter limit.
const CHUNK: usize = 500;
/// Ledger reason of an opening balance brought from the old bot.
pub const LEDGER_REASON: &str = LedgerReason::Import.as_str();

/// The ledger reference of a user's opening balance: unique per old user.
pub fn ledger_reference(legacy_user: &LegacyId) -> String {
    format!("legacy-user:{legacy_user}")
}

/// Why the transaction ended without committing.
enum Abort {
    Store(StoreError),
    Issues(Vec<LegacyIssue>),
    /// A dry run: everything worked; roll back anyway.
    DryRun(ImportReport),
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Self {
        Abort::Store(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// Imports a whole old store in one transaction: everything or nothing (see the module docs).
///
/// Returns `Ok(Err(issues))` — and changes nothing — when the store cannot be brought in as it
/// is (each issue names the old row). `Err` is a database failure, which also changes nothing.
pub fn import_legacy(
    conn: &mut DbConnection,
    keys: &DataKeys,
    store: &LegacyStore,
    mode: ImportMode,
    progress: &dyn ImportProgress,
) -> Result<Result<ImportReport, Vec<LegacyIssue>>, StoreError> {
    let result = write_tx(conn, |conn| {
        let mut known = HashMap::new();
        for kind in LegacyKind::ALL {
            known.insert(kind, recorded(conn, kind)?);
        }
        let mut run = Importer {
            conn,
            keys,
            progress,
            now: now_ms(),
            known,
            report: ImportReport::default(),
        };
        let issues = run.check(store)?;
        if !issues.is_empty() {
            return Err(Abort::Issues(issues));
        }
        run.write(store)?;
        match mode {
            ImportMode::Write => Ok(run.report),
            ImportMode::DryRun => Err(Abort::DryRun(run.report)),
        }
    });
    match result {
        Ok(report) | Err(Abort::DryRun(report)) => Ok(Ok(report)),
        Err(Abort::Issues(issues)) => Ok(Err(issues)),
        Err(Abort::Store(e)) => Err(e),
    }
}

struct Importer<'a> {
    conn: &'a mut DbConnection,
    keys: &'a DataKeys,
    progress: &'a dyn ImportProgress,
    now: i64,
    /// Every recorded old id by kind, with the row it became (grows as rows are written).
    known: HashMap<LegacyKind, HashMap<String, Option<i64>>>,
    report: ImportReport,
}

impl Importer<'_> {
    fn is_known(&self, kind: LegacyKind, id: &LegacyId) -> bool {
        self.known.get(&kind).is_some_and(|m| m.contains_key(&id.0))
    }

    fn new_id(&self, kind: LegacyKind, id: &LegacyId) -> Option<i64> {
        self.known
            .get(&kind)
            .and_then(|m| m.get(&id.0))
            .copied()
            .flatten()
    }

    /// Our id for an old row this import wrote or an earlier one recorded.
    fn resolve(&self, kind: LegacyKind, id: &LegacyId, field: &'static str) -> Result<i64, Abort> {
        self.new_id(kind, id).ok_or_else(|| {
            Abort::Issues(vec![LegacyIssue::new(
                kind,
                id,
                field,
                "referred to but neither in the old database nor imported before",
            )])
        })
    }

    fn remember(
        &mut self,
        kind: LegacyKind,
        id: &LegacyId,
        new_id: Option<i64>,
        voucher_uses: Option<i32>,
    ) -> Result<(), DieselError> {
        record(self.conn, kind, &id.0, new_id, voucher_uses, self.now)?;
        self.known
            .entry(kind)
            .or_default()
            .insert(id.0.clone(), new_id);
        self.report.counts.entry(kind).or_default().imported += 1;
        Ok(())
    }

    fn skip(&mut self, kind: LegacyKind) {
        self.report.counts.entry(kind).or_default().already += 1;
    }

    fn note(&mut self, issue: LegacyIssue) {
        self.report.notes.push(issue);
    }

    // -----------------------------------------------------------------------------------------
    // Checks (reads only)
    // -----------------------------------------------------------------------------------------

    /// Everything that would stop the import, all at once.
    fn check(&mut self, store: &LegacyStore) -> Result<Vec<LegacyIssue>, DieselError> {
        let mut issues = Vec::new();
        let in_store = |ids: &mut dyn Iterator<Item = &LegacyId>| -> HashSet<String> {
            ids.map(|i| i.0.clone()).collect()
        };
        let users = in_store(&mut store.users.iter().map(|x| &x.legacy_id));
        let categories = in_store(&mut store.categories.iter().map(|x| &x.legacy_id));
        let products = in_store(&mut store.products.iter().map(|x| &x.legacy_id));
        let orders = in_store(&mut store.orders.iter().map(|x| &x.legacy_id));
        let mut refers = |kind: LegacyKind,
                          id: &LegacyId,
                          set: &HashSet<String>,
                          from: (LegacyKind, &LegacyId, &'static str)| {
            if !set.contains(&id.0) && !self.is_known(kind, id) {
                issues.push(LegacyIssue::new(
                    from.0,
                    from.1,
                    from.2,
                    format!(
                        "refers to {} #{id}, which is neither in the old database nor imported before",
                        kind.legacy_table()
                    ),
                ));
            }
        };
        for x in &store.products {
            if let Some(cat) = &x.category {
                refers(
                    LegacyKind::Category,
                    cat,
                    &categories,
                    (LegacyKind::Product, &x.legacy_id, "category_id"),
                );
            }
        }
        for x in &store.stock {
            refers(
                LegacyKind::Product,
                &x.product,
                &products,
                (LegacyKind::Stock, &x.legacy_id, "product_id"),
            );
        }
        for x in &store.orders {
            refers(
                LegacyKind::User,
                &x.user,
                &users,
                (LegacyKind::Order, &x.legacy_id, "user_id"),
            );
            for item in &x.items {
                refers(
                    LegacyKind::Product,
                    &item.product,
                    &products,
                    (LegacyKind::Order, &x.legacy_id, "order_items.product_id"),
                );
            }
            for sold in &x.sold {
                refers(
                    LegacyKind::Product,
                    &sold.product,
                    &products,
                    (LegacyKind::Stock, &sold.legacy_id, "product_id"),
                );
            }
        }
        for x in &store.deposits {
            refers(
                LegacyKind::User,
                &x.user,
                &users,
                (LegacyKind::Deposit, &x.legacy_id, "user_id"),
            );
        }
        for x in &store.snk_answers {
            refers(
                LegacyKind::Order,
                &x.order,
                &orders,
                (LegacyKind::SnkAnswer, &x.legacy_id, "order_id"),
            );
            refers(
                LegacyKind::Product,
                &x.product,
                &products,
                (LegacyKind::SnkAnswer, &x.legacy_id, "product_id"),
            );
        }

        // The rules every writer of our tables keeps.
        for x in &store.users {
            if x.balance < 0 && !self.is_known(LegacyKind::User, &x.legacy_id) {
                issues.push(LegacyIssue::new(
                    LegacyKind::User,
                    &x.legacy_id,
                    "balance",
                    "a balance cannot be negative",
                ));
            }
            if self.is_known(LegacyKind::User, &x.legacy_id)
                && self.new_id(LegacyKind::User, &x.legacy_id) != Some(x.telegram_id)
            {
                issues.push(LegacyIssue::new(
                    LegacyKind::User,
                    &x.legacy_id,
                    "telegram_id",
                    format!(
                        "an earlier import brought old user #{} as Telegram user {}, but this database has {} there: is it another store's database?",
                        x.legacy_id,
                        self.new_id(LegacyKind::User, &x.legacy_id).unwrap_or_default(),
                        x.telegram_id
                    ),
                ));
            }
        }
        // Only rows this run writes: one an earlier import brought is not looked at again.
        for x in store
            .products
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Product, &x.legacy_id))
        {
            let checks = [
                ("code", rules::check_code(&x.code)),
                ("name", rules::check_product_name(&x.name)),
                ("price_cents", rules::check_price(x.price)),
                (
                    "description",
                    rules::check_long_text("description", &x.description),
                ),
                (
                    "product_terms.content",
                    x.snk
                        .as_deref()
                        .and_then(|t| rules::check_long_text("snk", t)),
                ),
            ];
            for (field, problem) in checks {
                if let Some(reason) = problem {
                    issues.push(LegacyIssue::new(
                        LegacyKind::Product,
                        &x.legacy_id,
                        field,
                        reason,
                    ));
                }
            }
        }
        for x in store
            .categories
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Category, &x.legacy_id))
        {
            if let Some(reason) = rules::check_category_name(&x.name) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Category,
                    &x.legacy_id,
                    "name",
                    reason,
                ));
            }
        }
        for x in store
            .stock
            .iter()
            .chain(store.orders.iter().flat_map(|o| o.sold.iter()))
            .filter(|x| !self.is_known(LegacyKind::Stock, &x.legacy_id))
        {
            if let Some(reason) = rules::check_stock(x.content.expose()) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Stock,
                    &x.legacy_id,
                    "content",
                    reason,
                ));
            }
        }
        for x in store
            .vouchers
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Voucher, &x.legacy_id))
        {
            if x.value <= 0 || (x.kind == super::VoucherKind::Percent && x.value > 100) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Voucher,
                    &x.legacy_id,
                    "discount_value",
                    format!("{} is not a usable discount", x.value),
                ));
            }
            if x.max_uses.is_some_and(|m| x.used_count > m) || x.used_count < 0 {
                issues.push(LegacyIssue::new(
                    LegacyKind::Voucher,
                    &x.legacy_id,
                    "used_count",
                    "more uses than allowed",
                ));
            }
        }
        for x in store
            .orders
            .iter()
            .flat_map(|o| o.payments.iter())
            .chain(store.deposits.iter().filter_map(|d| d.payment.as_ref()))
            .filter(|x| !self.is_known(LegacyKind::Payment, &x.legacy_id))
        {
            if x.amount <= 0 {
                issues.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    &x.legacy_id,
                    "amount_cents",
                    "a payment of nothing cannot be kept",
                ));
            }
        }
        for x in store
            .deposits
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Deposit, &x.legacy_id))
        {
            if x.amount <= 0 {
                issues.push(LegacyIssue::new(
                    LegacyKind::Deposit,
                    &x.legacy_id,
                    "amount_cents",
                    "a deposit of nothing cannot be kept",
                ));
            }
        }

        // What this store already uses for something else.
        let new_products: Vec<&super::LegacyProduct> = store
            .products
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Product, &x.legacy_id))
            .collect();
        let codes: Vec<&str> = new_products.iter().map(|x| x.code.as_str()).collect();
        let taken = self.taken(&codes, |conn, chunk| {
            p::table
                .filter(p::code.eq_any(chunk))
                .select((p::code, p::id))
                .load(conn)
        })?;
        for x in new_products {
            if let Some(id) = taken.get(&x.code) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Product,
                    &x.legacy_id,
                    "code",
                    format!("code {} is already used by product #{id} of this store; rename one of them", x.code),
                ));
            }
        }
        let new_vouchers: Vec<&super::LegacyVoucher> = store
            .vouchers
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Voucher, &x.legacy_id))
            .collect();
        let codes: Vec<&str> = new_vouchers.iter().map(|x| x.code.as_str()).collect();
        let taken = self.taken(&codes, |conn, chunk| {
            v::table
                .filter(v::code.eq_any(chunk))
                .select((v::code, v::id))
                .load(conn)
        })?;
        for x in new_vouchers {
            if let Some(id) = taken.get(&x.code) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Voucher,
                    &x.legacy_id,
                    "code",
                    format!("code {} is already used by voucher #{id} of this store; rename one of them", x.code),
                ));
            }
        }
        let new_orders: Vec<&super::LegacyOrder> = store
            .orders
            .iter()
            .filter(|x| !self.is_known(LegacyKind::Order, &x.legacy_id))
            .collect();
        let invoices: Vec<&str> = new_orders.iter().map(|x| x.invoice_no.as_str()).collect();
        let taken = self.taken(&invoices, |conn, chunk| {
            o::table
                .filter(o::invoice_no.eq_any(chunk))
                .select((o::invoice_no, o::id))
                .load(conn)
        })?;
        for x in &new_orders {
            if taken.contains_key(&x.invoice_no) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Order,
                    &x.legacy_id,
                    "id",
                    format!(
                        "invoice number {} is already used in this store",
                        x.invoice_no
                    ),
                ));
            }
        }
        let new_payments: Vec<&LegacyPayment> = new_orders
            .iter()
            .flat_map(|x| x.payments.iter())
            .chain(
                store
                    .deposits
                    .iter()
                    .filter(|x| !self.is_known(LegacyKind::Deposit, &x.legacy_id))
                    .filter_map(|x| x.payment.as_ref()),
            )
            .filter(|x| !self.is_known(LegacyKind::Payment, &x.legacy_id))
            .collect();
        let gateway_ids: Vec<&str> = new_payments
            .iter()
            .map(|x| x.gateway_order_id.as_str())
            .collect();
        let taken = self.taken(&gateway_ids, |conn, chunk| {
            pay::table
                .filter(pay::gateway_order_id.eq_any(chunk))
                .select((pay::gateway_order_id, pay::id))
                .load(conn)
        })?;
        for x in new_payments {
            if let Some(id) = taken.get(&x.gateway_order_id) {
                issues.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    &x.legacy_id,
                    "gateway_order_id",
                    format!(
                        "gateway id {} is already payment #{id} of this store",
                        x.gateway_order_id
                    ),
                ));
            }
        }
        Ok(issues)
    }

    /// Which of `values` a column already holds, with the row's id.
    fn taken(
        &mut self,
        values: &[&str],
        query: impl Fn(&mut DbConnection, &[&str]) -> Result<Vec<(String, i64)>, DieselError>,
    ) -> Result<HashMap<String, i64>, DieselError> {
        let mut found = HashMap::new();
        for chunk in values.chunks(CHUNK) {
            found.extend(query(self.conn, chunk)?);
        }
        Ok(found)
    }

    // -----------------------------------------------------------------------------------------
    // Writing
    // -----------------------------------------------------------------------------------------

    fn write(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        self.users(store)?;
        self.categories(store)?;
        self.products(store)?;
        self.unsold_stock(store)?;
        self.vouchers(store)?;
        self.orders(store)?;
        self.deposits(store)?;
        self.templates(store)?;
        self.snk_answers(store)?;
        self.audit(store)?;
        if self.report.imported() == 0 {
            // Nothing new: a run that adds nothing leaves no trace either.
            return Ok(());
        }
        let summary: serde_json::Map<String, serde_json::Value> = self
            .report
            .counts
            .iter()
            .map(|(kind, n)| (kind.as_str().to_string(), serde_json::json!(n)))
            .collect();
        append_audit(
            self.conn,
            &AuditEntry {
                actor_kind: ActorKind::Cli,
                actor_id: None,
                action: "legacy.import",
                subject: Some("bot-auto-order"),
                details: serde_json::json!({
                    "counts": summary,
                    "balance_imported": self.report.balance_imported,
                    "notes": self.report.notes.len(),
                }),
            },
        )?;
        Ok(())
    }

    fn users(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.users.len();
        for (i, x) in store.users.iter().enumerate() {
            self.progress.step(LegacyKind::User, i + 1, total);
            if self.is_known(LegacyKind::User, &x.legacy_id) {
                self.skip(LegacyKind::User);
                continue;
            }
            let id = x.telegram_id;
            let exists: i64 = u::table.find(id).count().get_result(self.conn)?;
            if exists == 0 {
                let whatsapp = x
                    .whatsapp
                    .as_ref()
                    .map(|n| self.keys.encrypt(n.expose().as_bytes(), &whatsapp_aad(id)));
                diesel::insert_into(u::table)
                    .values((
                        u::id.eq(id),
                        u::username.eq(&x.username),
                        u::first_name.eq(&x.first_name),
                        u::display_name.eq(&x.display_name),
                        u::whatsapp_enc.eq(whatsapp),
                        u::is_blocked.eq(x.is_blocked),
                        u::is_verified.eq(x.is_verified),
                        u::unreachable_at.eq(x.unreachable.then_some(self.now)),
                        u::created_at.eq(x.created_at),
                        u::updated_at.eq(self.now),
                        u::last_seen_at.eq(x.created_at),
                    ))
                    .execute(self.conn)?;
            } else {
                self.note(LegacyIssue::new(
                    LegacyKind::User,
                    &x.legacy_id,
                    "telegram_id",
                    format!("Telegram user {id} already uses this store: their profile here is kept and the old balance added to it"),
                ));
            }
            if x.balance > 0 {
                let reference = ledger_reference(&x.legacy_id);
                let credited = apply_balance_change(
                    self.conn,
                    id,
                    x.balance,
                    LedgerReason::Import,
                    &reference,
                    None,
                )?;
                if credited.is_err() {
                    // Only debits are ever refused; a refused credit means the store is damaged.
                    return Err(Abort::Store(StoreError::Corrupt(format!(
                        "the opening balance of user {id} was refused"
                    ))));
                }
                self.report.balance_imported += x.balance;
            }
            self.remember(LegacyKind::User, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }

    fn categories(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let existing: Vec<(i64, String, i32)> = c::table
            .select((c::id, c::name, c::sort_order))
            .load(self.conn)?;
        let mut next_sort = existing
            .iter()
            .map(|(_, _, o)| *o)
            .max()
            .map_or(0, |m| m + 1);
        let mut by_name: HashMap<String, i64> = existing
            .into_iter()
            .map(|(id, name, _)| (name, id))
            .collect();
        let total = store.categories.len();
        for (i, x) in store.categories.iter().enumerate() {
            self.progress.step(LegacyKind::Category, i + 1, total);
            if self.is_known(LegacyKind::Category, &x.legacy_id) {
                self.skip(LegacyKind::Category);
                continue;
            }
            let id = match by_name.get(&x.name) {
                Some(&id) => {
                    self.note(LegacyIssue::new(
                        LegacyKind::Category,
                        &x.legacy_id,
                        "name",
                        format!("this store already has a category {:?}: the old one's products join it", x.name),
                    ));
                    id
                }
                None => {
                    let id: i64 = diesel::insert_into(c::table)
                        .values((
                            c::name.eq(&x.name),
                            c::sort_order.eq(next_sort),
                            c::created_at.eq(x.created_at),
                        ))
                        .returning(c::id)
                        .get_result(self.conn)?;
                    next_sort += 1;
                    by_name.insert(x.name.clone(), id);
                    id
                }
            };
            self.remember(LegacyKind::Category, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }

    fn products(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.products.len();
        for (i, x) in store.products.iter().enumerate() {
            self.progress.step(LegacyKind::Product, i + 1, total);
            if self.is_known(LegacyKind::Product, &x.legacy_id) {
                self.skip(LegacyKind::Product);
                continue;
            }
            let category_id = match &x.category {
                Some(cat) => Some(self.resolve(LegacyKind::Category, cat, "category_id")?),
                None => None,
            };
            let id: i64 = diesel::insert_into(p::table)
                .values((
                    p::code.eq(&x.code),
                    p::name.eq(&x.name),
                    p::description.eq(&x.description),
                    p::price.eq(x.price),
                    p::category_id.eq(category_id),
                    p::snk.eq(&x.snk),
                    p::is_active.eq(!x.archived),
                    p::archived_at.eq(x.archived.then_some(x.updated_at)),
                    p::sold_count.eq(x.sold_count),
                    p::created_at.eq(x.created_at),
                    p::updated_at.eq(x.updated_at),
                ))
                .returning(p::id)
                .get_result(self.conn)?;
            self.remember(LegacyKind::Product, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }

    /// Encrypts and stores one item (available, or sold to `order`); `None` when the product
    /// already holds the same content (noted, not stored twice).
    fn insert_stock(
        &mut self,
        x: &LegacyStock,
        sold_to: Option<i64>,
    ) -> Result<Option<i64>, Abort> {
        let product_id = self.resolve(LegacyKind::Product, &x.product, "product_id")?;
        let content = x.content.expose();
        let hash = self.keys.content_hash(content.as_bytes());
        let stored: Option<i64> = s::table
            .filter(s::product_id.eq(product_id))
            .filter(s::content_hash.eq(&hash))
            .select(s::id)
            .first(self.conn)
            .optional()?;
        if let Some(existing) = stored {
            self.note(LegacyIssue::new(
                LegacyKind::Stock,
                &x.legacy_id,
                "content",
                format!("the product already holds this item as stock item #{existing}; not stored twice"),
            ));
            return Ok(None);
        }
        let sealed = self
            .keys
            .encrypt(content.as_bytes(), &stock_aad(product_id, &hash));
        let state = if sold_to.is_some() {
            "sold"
        } else {
            "available"
        };
        let id: i64 = diesel::insert_into(s::table)
            .values((
                s::product_id.eq(product_id),
                s::content_enc.eq(&sealed),
                s::content_hash.eq(&hash),
                s::state.eq(state),
                s::order_id.eq(sold_to),
                s::created_at.eq(x.created_at),
                s::sold_at.eq(sold_to.and(x.sold_at)),
            ))
            .returning(s::id)
            .get_result(self.conn)?;
        Ok(Some(id))
    }

    fn unsold_stock(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.stock.len();
        for (i, x) in store.stock.iter().enumerate() {
            self.progress.step(LegacyKind::Stock, i + 1, total);
            if self.is_known(LegacyKind::Stock, &x.legacy_id) {
                self.skip(LegacyKind::Stock);
                continue;
            }
            if let Some(id) = self.insert_stock(x, None)? {
                self.remember(LegacyKind::Stock, &x.legacy_id, Some(id), None)?;
            }
        }
        Ok(())
    }

    fn vouchers(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.vouchers.len();
        for (i, x) in store.vouchers.iter().enumerate() {
            self.progress.step(LegacyKind::Voucher, i + 1, total);
            if self.is_known(LegacyKind::Voucher, &x.legacy_id) {
                self.skip(LegacyKind::Voucher);
                continue;
            }
            let id: i64 = diesel::insert_into(v::table)
                .values((
                    v::code.eq(&x.code),
                    v::kind.eq(x.kind.as_str()),
                    v::value.eq(x.value),
                    v::max_uses.eq(x.max_uses),
                    v::used_count.eq(x.used_count),
                    v::valid_from.eq(x.valid_from),
                    v::valid_until.eq(x.valid_until),
                    v::is_active.eq(true),
                    v::created_at.eq(x.created_at),
                ))
                .returning(v::id)
                .get_result(self.conn)?;
            self.remember(
                LegacyKind::Voucher,
                &x.legacy_id,
                Some(id),
                Some(x.used_count),
            )?;
        }
        Ok(())
    }

    fn payment(
        &mut self,
        x: &LegacyPayment,
        order_id: Option<i64>,
        deposit_id: Option<i64>,
    ) -> Result<(), Abort> {
        if self.is_known(LegacyKind::Payment, &x.legacy_id) {
            self.skip(LegacyKind::Payment);
            return Ok(());
        }
        let purpose = if order_id.is_some() {
            "order"
        } else {
            "deposit"
        };
        let id: i64 = diesel::insert_into(pay::table)
            .values((
                pay::gateway_order_id.eq(&x.gateway_order_id),
                pay::purpose.eq(purpose),
                pay::order_id.eq(order_id),
                pay::deposit_id.eq(deposit_id),
                pay::method.eq(x.method.as_str()),
                pay::amount.eq(x.amount),
                pay::fee.eq(x.fee),
                pay::total_payment.eq(x.total_payment),
                pay::status.eq(x.status.as_str()),
                pay::attempt.eq(1),
                pay::expires_at.eq(x.expires_at),
                pay::completed_at.eq(x.completed_at),
                pay::created_at.eq(x.created_at),
                pay::updated_at.eq(x.updated_at),
            ))
            .returning(pay::id)
            .get_result(self.conn)?;
        self.remember(LegacyKind::Payment, &x.legacy_id, Some(id), None)?;
        Ok(())
    }

    fn orders(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.orders.len();
        for (i, x) in store.orders.iter().enumerate() {
            self.progress.step(LegacyKind::Order, i + 1, total);
            if self.is_known(LegacyKind::Order, &x.legacy_id) {
                self.skip(LegacyKind::Order);
                self.skip_parts(LegacyKind::Order, &x.legacy_id, &x.sold, &x.payments);
                continue;
            }
            let user_id = self.resolve(LegacyKind::User, &x.user, "user_id")?;
            let delivered = x.status == super::ImportedOrderStatus::Delivered;
            let order_id: i64 = diesel::insert_into(o::table)
                .values((
                    o::invoice_no.eq(&x.invoice_no),
                    o::user_id.eq(user_id),
                    o::status.eq(x.status.as_str()),
                    o::payment_method.eq(x.method.as_str()),
                    o::subtotal.eq(x.subtotal),
                    o::discount.eq(x.discount),
                    o::fee.eq(x.fee),
                    o::total.eq(x.total),
                    o::note.eq(format!("bot-auto-order {}", x.legacy_id)),
                    o::created_at.eq(x.created_at),
                    o::paid_at.eq(x.paid_at),
                    o::delivered_at.eq(if delivered { x.paid_at } else { None }),
                    o::closed_at.eq(x.closed_at),
                ))
                .returning(o::id)
                .get_result(self.conn)?;
            for item in &x.items {
                let product_id = self.resolve(LegacyKind::Product, &item.product, "product_id")?;
                diesel::insert_into(oi::table)
                    .values((
                        oi::order_id.eq(order_id),
                        oi::product_id.eq(product_id),
                        oi::product_name.eq(&item.product_name),
                        oi::unit_price.eq(item.unit_price),
                        oi::quantity.eq(item.quantity),
                    ))
                    .execute(self.conn)?;
            }
            for sold in &x.sold {
                self.sold_item(sold, order_id)?;
            }
            for payment in &x.payments {
                self.payment(payment, Some(order_id), None)?;
            }
            self.remember(LegacyKind::Order, &x.legacy_id, Some(order_id), None)?;
        }
        Ok(())
    }

    /// The sold items and payments of an order (or deposit) an earlier import brought: counted
    /// as already there; one the old bot added since is noted, not attached to closed history.
    fn skip_parts(
        &mut self,
        parent: LegacyKind,
        parent_id: &LegacyId,
        sold: &[LegacyStock],
        payments: &[LegacyPayment],
    ) {
        let parts = sold
            .iter()
            .map(|x| (LegacyKind::Stock, &x.legacy_id))
            .chain(payments.iter().map(|x| (LegacyKind::Payment, &x.legacy_id)));
        let mut added = Vec::new();
        for (kind, id) in parts {
            if self.is_known(kind, id) {
                self.report.counts.entry(kind).or_default().already += 1;
            } else {
                added.push(LegacyIssue::new(
                    kind,
                    id,
                    "id",
                    format!(
                        "added in the old bot after an earlier import of {} #{parent_id}: not imported",
                        parent.legacy_table()
                    ),
                ));
            }
        }
        self.report.notes.extend(added);
    }

    /// An item the old bot sold to an order: stored sold to it. One an earlier import brought
    /// as unsold stock (the old bot kept selling after it) is taken out of sale here.
    fn sold_item(&mut self, x: &LegacyStock, order_id: i64) -> Result<(), Abort> {
        match self.new_id(LegacyKind::Stock, &x.legacy_id) {
            None => {
                if let Some(id) = self.insert_stock(x, Some(order_id))? {
                    self.remember(LegacyKind::Stock, &x.legacy_id, Some(id), None)?;
                }
            }
            Some(stock_id) => {
                let moved =
                    diesel::update(s::table.find(stock_id).filter(s::state.eq("available")))
                        .set((
                            s::state.eq("sold"),
                            s::order_id.eq(order_id),
                            s::sold_at.eq(x.sold_at),
                        ))
                        .execute(self.conn)?;
                let reason = if moved == 1 {
                    "sold in the old bot after an earlier import brought it as stock: taken out of sale here"
                } else {
                    "sold in the old bot after an earlier import, and also reserved or sold here: check this order by hand"
                };
                self.note(LegacyIssue::new(
                    LegacyKind::Stock,
                    &x.legacy_id,
                    "is_used",
                    reason,
                ));
                self.skip(LegacyKind::Stock);
            }
        }
        Ok(())
    }

    fn deposits(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.deposits.len();
        for (i, x) in store.deposits.iter().enumerate() {
            self.progress.step(LegacyKind::Deposit, i + 1, total);
            if self.is_known(LegacyKind::Deposit, &x.legacy_id) {
                self.skip(LegacyKind::Deposit);
                self.skip_parts(LegacyKind::Deposit, &x.legacy_id, &[], x.payment.as_slice());
                continue;
            }
            let user_id = self.resolve(LegacyKind::User, &x.user, "user_id")?;
            let id: i64 = diesel::insert_into(d::table)
                .values((
                    d::user_id.eq(user_id),
                    d::amount.eq(x.amount),
                    d::status.eq(x.status.as_str()),
                    d::created_at.eq(x.created_at),
                    d::expires_at.eq(x.expires_at),
                    d::completed_at.eq(x.completed_at),
                ))
                .returning(d::id)
                .get_result(self.conn)?;
            if let Some(payment) = &x.payment {
                self.payment(payment, None, Some(id))?;
            }
            self.remember(LegacyKind::Deposit, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }

    fn templates(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.templates.len();
        for (i, x) in store.templates.iter().enumerate() {
            self.progress.step(LegacyKind::Template, i + 1, total);
            if self.is_known(LegacyKind::Template, &x.legacy_id) {
                self.skip(LegacyKind::Template);
                continue;
            }
            if get_template(self.conn, &x.key)?.is_some() {
                self.note(LegacyIssue::new(
                    LegacyKind::Template,
                    &x.legacy_id,
                    "content",
                    format!(
                        "this store already has its own {} text; the old one was not imported",
                        x.key
                    ),
                ));
                continue;
            }
            let template = Template {
                body: x.body.clone(),
                photo: x.photo.clone(),
            };
            set_template(self.conn, &x.key, &template, None)?;
            self.remember(LegacyKind::Template, &x.legacy_id, None, None)?;
        }
        Ok(())
    }

    fn snk_answers(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.snk_answers.len();
        for (i, x) in store.snk_answers.iter().enumerate() {
            self.progress.step(LegacyKind::SnkAnswer, i + 1, total);
            if self.is_known(LegacyKind::SnkAnswer, &x.legacy_id) {
                self.skip(LegacyKind::SnkAnswer);
                continue;
            }
            let order_id = self.resolve(LegacyKind::Order, &x.order, "order_id")?;
            let product_id = self.resolve(LegacyKind::Product, &x.product, "product_id")?;
            let order_ref: String = o::table
                .find(order_id)
                .select(o::invoice_no)
                .first(self.conn)?;
            let user_known: i64 = u::table
                .find(x.user_telegram_id)
                .count()
                .get_result(self.conn)?;
            let answered: i64 = sa::table
                .filter(sa::order_ref.eq(&order_ref))
                .filter(sa::product_id.eq(product_id))
                .count()
                .get_result(self.conn)?;
            if user_known == 0 || answered > 0 {
                let reason = if user_known == 0 {
                    format!(
                        "Telegram user {} is not a customer of this store",
                        x.user_telegram_id
                    )
                } else {
                    "this order already has an answer here".to_string()
                };
                self.note(LegacyIssue::new(
                    LegacyKind::SnkAnswer,
                    &x.legacy_id,
                    "telegram_user_id",
                    reason,
                ));
                continue;
            }
            // The same JSON the bot stores for an answer it receives ({text, photo_file_id}).
            let plain = serde_json::json!({
                "text": x.text.as_ref().map(|t| t.expose()),
                "photo_file_id": x.photo_file_id,
            })
            .to_string();
            let sealed = self
                .keys
                .encrypt(plain.as_bytes(), &snk_aad(&order_ref, product_id));
            let id: i64 = diesel::insert_into(sa::table)
                .values((
                    sa::order_ref.eq(&order_ref),
                    sa::product_id.eq(product_id),
                    sa::user_id.eq(x.user_telegram_id),
                    sa::answer_enc.eq(&sealed),
                    sa::created_at.eq(x.created_at),
                ))
                .returning(sa::id)
                .get_result(self.conn)?;
            self.remember(LegacyKind::SnkAnswer, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }

    fn audit(&mut self, store: &LegacyStore) -> Result<(), Abort> {
        let total = store.audit.len();
        for (i, x) in store.audit.iter().enumerate() {
            self.progress.step(LegacyKind::Audit, i + 1, total);
            if self.is_known(LegacyKind::Audit, &x.legacy_id) {
                self.skip(LegacyKind::Audit);
                continue;
            }
            let details = serde_json::from_str::<serde_json::Value>(&x.details)
                .unwrap_or_else(|_| serde_json::Value::String(x.details.clone()));
            let id: i64 =
                diesel::insert_into(a::table)
                    .values((
                        a::actor_kind.eq(ActorKind::System.as_str()),
                        a::actor_id.eq(x.actor.as_deref().and_then(|t| t.parse::<i64>().ok())),
                        a::action.eq(format!("legacy.{}", x.action)),
                        a::subject.eq(format!("legacy-audit:{}", x.legacy_id)),
                        a::details
                            .eq(serde_json::json!({ "actor": x.actor, "details": details })
                                .to_string()),
                        a::created_at.eq(x.at),
                    ))
                    .returning(a::id)
                    .get_result(self.conn)?;
            self.remember(LegacyKind::Audit, &x.legacy_id, Some(id), None)?;
        }
        Ok(())
    }
}
