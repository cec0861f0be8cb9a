//! From the old bot's rows to the typed [`LegacyStore`] the schema crate imports: cents to
//! whole Rupiah, old statuses to ours, codes to our form, texts to our template keys, Fernet
//! SNK answers to plaintext. Nothing is rounded or dropped silently: each such row gets a note
//! (`TABLE #ID FIELD: reason`); what cannot be brought across at all is a problem, and a
//! store with problems is not imported.

use std::collections::{BTreeMap, HashMap, HashSet};

use autoorder_schema::queries::catalog::rules;
use autoorder_schema::queries::legacy::{
    ImportedDepositStatus, ImportedOrderStatus, ImportedPayMethod, ImportedPaymentStatus,
    LegacyAudit, LegacyCategory, LegacyDeposit, LegacyId, LegacyIssue, LegacyKind, LegacyOrder,
    LegacyOrderItem, LegacyPayment, LegacyProduct, LegacySnkAnswer, LegacyStock, LegacyStore,
    LegacyTemplate, LegacyUser, LegacyVoucher, VoucherKind,
};
use autoorder_schema::secret::Secret;

use super::legacy_key::LegacyKey;
use super::source::{RawContent, RawPayment, RawStore};
use super::templates::{self, CARA_ORDER_PHOTO, CARA_ORDER_TEXT};

/// What converting found.
#[derive(Debug, Default)]
pub struct Converted {
    pub store: LegacyStore,
    /// Rows that cannot be brought across: nothing is imported while there is one.
    pub problems: Vec<LegacyIssue>,
    /// Rows brought across with a change the seller should know about, or left out.
    pub notes: Vec<LegacyIssue>,
}

/// How conversion treats what is not plain.
pub struct Options<'a> {
    /// The old bot's `DATA_ENCRYPTION_KEY`; without it SNK answers with text are left out.
    pub legacy_key: Option<&'a LegacyKey>,
    /// SNK answers older than this are left out (ours are purged after it anyway).
    pub snk_retention_days: u32,
    /// Now, in epoch milliseconds.
    pub now: i64,
}

/// Converts a whole store.
pub fn convert(raw: &RawStore, options: &Options<'_>) -> Converted {
    let mut out = Converted::default();
    users(raw, &mut out);
    catalog(raw, &mut out);
    vouchers(raw, &mut out);
    orders(raw, &mut out);
    deposits(raw, &mut out);
    texts(raw, &mut out);
    snk_answers(raw, options, &mut out);
    out.store.audit = raw
        .audit
        .iter()
        .map(|a| LegacyAudit {
            legacy_id: a.id.into(),
            at: a.at,
            actor: a.actor_id.clone(),
            action: a.action.clone(),
            details: a.details.clone(),
        })
        .collect();
    out
}

/// Whole Rupiah of an amount in cents. A remainder is left out and noted, never rounded in
/// silence; a negative amount is refused by the caller.
fn rupiah(
    cents: i64,
    kind: LegacyKind,
    id: impl std::fmt::Display,
    field: &'static str,
    out: &mut Converted,
) -> i64 {
    let whole = cents.div_euclid(100);
    let rest = cents.rem_euclid(100);
    if rest != 0 {
        out.notes.push(LegacyIssue::new(
            kind,
            id,
            field,
            format!(
                "{} is not whole Rupiah: imported as {}, the Rp 0,{rest:02} left out",
                show_cents(cents),
                show_rupiah(whole)
            ),
        ));
    }
    whole
}

/// `Rp 12.345,50`.
fn show_cents(cents: i64) -> String {
    format!(
        "{},{:02}",
        show_rupiah(cents.div_euclid(100)),
        cents.rem_euclid(100)
    )
}

/// `Rp 12.345`.
pub fn show_rupiah(rupiah: i64) -> String {
    let digits = rupiah.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let sign = if rupiah < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn users(raw: &RawStore, out: &mut Converted) {
    for u in &raw.users {
        let mut balance = rupiah(
            u.balance_cents,
            LegacyKind::User,
            u.id,
            "balance_cents",
            out,
        );
        if balance < 0 {
            out.notes.push(LegacyIssue::new(
                LegacyKind::User,
                u.id,
                "balance_cents",
                format!(
                    "a negative balance ({}) cannot be kept: imported as Rp 0, settle it by hand",
                    show_rupiah(balance)
                ),
            ));
            balance = 0;
        }
        let whatsapp = trimmed(u.whatsapp_number.as_deref()).and_then(|n| {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            if (9..=15).contains(&digits.len()) {
                Some(Secret::new(digits))
            } else {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::User,
                    u.id,
                    "whatsapp_number",
                    "not 9–15 digits: left out",
                ));
                None
            }
        });
        out.store.users.push(LegacyUser {
            legacy_id: u.id.into(),
            telegram_id: u.telegram_id,
            username: trimmed(u.username.as_deref()),
            first_name: trimmed(u.first_name.as_deref()).unwrap_or_default(),
            display_name: trimmed(u.display_name.as_deref()),
            whatsapp,
            balance,
            is_blocked: u.is_blocked,
            unreachable: u.bot_blocked,
            is_verified: u.is_verified,
            created_at: u.created_at,
        });
    }
}

/// Our form of an old product code: upper case, other characters as `-`. The old bot allowed
/// any text.
fn our_code(code: &str) -> String {
    let upper = code.trim().to_uppercase();
    if rules::check_code(&upper).is_none() {
        return upper;
    }
    let mut out = String::new();
    for ch in upper.chars() {
        if ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_' || ch == '-' {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn catalog(raw: &RawStore, out: &mut Converted) {
    for c in &raw.categories {
        if !c.is_active {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Category,
                c.id,
                "is_active",
                "switched off in the old bot: imported as a category (inactive products are archived)",
            ));
        }
        out.store.categories.push(LegacyCategory {
            legacy_id: c.id.into(),
            name: c.name.trim().to_string(),
            created_at: c.created_at,
        });
    }
    let terms: HashMap<i64, &str> = raw
        .terms
        .iter()
        .map(|t| (t.product_id, t.content.as_str()))
        .collect();
    let mut codes: HashMap<String, i64> = HashMap::new();
    for p in &raw.products {
        let code = our_code(&p.code);
        if code != p.code {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Product,
                p.id,
                "code",
                format!("{:?} becomes {code} (codes here are A-Z 0-9 _ -)", p.code),
            ));
        }
        if let Some(first) = codes.insert(code.clone(), p.id) {
            out.problems.push(LegacyIssue::new(
                LegacyKind::Product,
                p.id,
                "code",
                format!("{code} is also product #{first}'s code here; rename one in the old bot"),
            ));
        }
        let price = rupiah(p.price_cents, LegacyKind::Product, p.id, "price_cents", out);
        out.store.products.push(LegacyProduct {
            legacy_id: p.id.into(),
            code,
            name: p.name.trim().to_string(),
            description: p.description.as_deref().unwrap_or("").trim().to_string(),
            price,
            category: p.category_id.map(LegacyId::from),
            snk: trimmed(terms.get(&p.id).copied()),
            archived: !p.is_active,
            sold_count: p.sold_count,
            created_at: p.created_at,
            updated_at: p.updated_at,
        });
    }
    for c in raw.contents.iter().filter(|c| !c.is_used) {
        out.store.stock.push(stock(c));
    }
}

fn stock(c: &RawContent) -> LegacyStock {
    LegacyStock {
        legacy_id: c.id.into(),
        product: c.product_id.into(),
        content: Secret::new(c.content.trim().to_string()),
        created_at: c.created_at,
        sold_at: c.is_used.then(|| c.used_at.unwrap_or(c.created_at)),
    }
}

fn vouchers(raw: &RawStore, out: &mut Converted) {
    for c in &raw.coupons {
        let (kind, value) = match c.discount_type.as_str() {
            "percent" => (VoucherKind::Percent, c.discount_value),
            "flat" => (
                VoucherKind::Flat,
                rupiah(
                    c.discount_value,
                    LegacyKind::Voucher,
                    c.id,
                    "discount_value",
                    out,
                ),
            ),
            other => {
                out.problems.push(LegacyIssue::new(
                    LegacyKind::Voucher,
                    c.id,
                    "discount_type",
                    format!("{other:?} is neither percent nor flat"),
                ));
                continue;
            }
        };
        out.store.vouchers.push(LegacyVoucher {
            legacy_id: c.id.into(),
            code: c.code.trim().to_uppercase(),
            kind,
            value,
            max_uses: c.max_uses,
            used_count: c.used_count,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            created_at: c.created_at,
        });
    }
}

fn pay_method(method: &str) -> ImportedPayMethod {
    match method.trim().to_lowercase().as_str() {
        "qris" => ImportedPayMethod::Qris,
        "balance" | "saldo" => ImportedPayMethod::Balance,
        _ => ImportedPayMethod::Manual,
    }
}

/// Our invoice number of an old order: `OLD-` and the first 12 hex digits of its UUID (all
/// 32 when two orders would share them).
fn invoice_numbers(raw: &RawStore) -> HashMap<&str, String> {
    let hex = |id: &str| -> String {
        id.chars()
            .filter(char::is_ascii_hexdigit)
            .collect::<String>()
            .to_uppercase()
    };
    let mut short: HashMap<String, usize> = HashMap::new();
    for o in &raw.orders {
        *short
            .entry(hex(&o.id).chars().take(12).collect())
            .or_default() += 1;
    }
    raw.orders
        .iter()
        .map(|o| {
            let full = hex(&o.id);
            let head: String = full.chars().take(12).collect();
            let tail = if short[&head] > 1 { full } else { head };
            (o.id.as_str(), format!("OLD-{tail}"))
        })
        .collect()
}

fn payment_status(status: &str) -> Option<ImportedPaymentStatus> {
    Some(match status {
        "completed" => ImportedPaymentStatus::Completed,
        "created" | "waiting" | "pending" | "expired" => ImportedPaymentStatus::Expired,
        "cancelled" => ImportedPaymentStatus::Cancelled,
        "failed" => ImportedPaymentStatus::Failed,
        _ => return None,
    })
}

fn orders(raw: &RawStore, out: &mut Converted) {
    let invoices = invoice_numbers(raw);
    let products: HashMap<i64, &str> = raw.products.iter().map(|p| (p.id, p.name.trim())).collect();
    let mut items: HashMap<&str, Vec<&super::source::RawOrderItem>> = HashMap::new();
    for item in &raw.order_items {
        items.entry(item.order_id.as_str()).or_default().push(item);
    }
    let mut payments: HashMap<&str, Vec<&RawPayment>> = HashMap::new();
    for p in &raw.payments {
        payments.entry(p.order_id.as_str()).or_default().push(p);
    }
    let mut sold: HashMap<&str, Vec<&RawContent>> = HashMap::new();
    for c in raw.contents.iter().filter(|c| c.is_used) {
        match c.used_by_order_id.as_deref() {
            Some(order) => sold.entry(order).or_default().push(c),
            None => out.notes.push(LegacyIssue::new(
                LegacyKind::Stock,
                c.id,
                "used_by_order_id",
                "used in the old bot but by no order: not imported (it is not for sale)",
            )),
        }
    }
    let mut gateway_ids: HashSet<&str> = HashSet::new();
    for o in &raw.orders {
        let status = match o.status.as_str() {
            "paid" => ImportedOrderStatus::Delivered,
            "cancelled" => ImportedOrderStatus::Cancelled,
            "expired" => ImportedOrderStatus::Expired,
            "pending" | "awaiting_payment" => {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Order,
                    &o.id,
                    "status",
                    format!(
                        "was {} when the old bot stopped: imported as expired (its gateway id is never reused)",
                        o.status
                    ),
                ));
                ImportedOrderStatus::Expired
            }
            other => {
                out.problems.push(LegacyIssue::new(
                    LegacyKind::Order,
                    &o.id,
                    "status",
                    format!("unknown status {other:?}"),
                ));
                continue;
            }
        };

        // Lines, one per product (our orders hold a product once).
        let mut lines: BTreeMap<i64, LegacyOrderItem> = BTreeMap::new();
        for item in items.get(o.id.as_str()).into_iter().flatten() {
            let unit = rupiah(
                item.unit_price_cents,
                LegacyKind::Order,
                &o.id,
                "order_items.unit_price_cents",
                out,
            );
            match lines.get_mut(&item.product_id) {
                Some(line) => {
                    if line.unit_price != unit {
                        out.notes.push(LegacyIssue::new(
                            LegacyKind::Order,
                            &o.id,
                            "order_items.unit_price_cents",
                            format!(
                                "product #{} appears twice at two prices: kept at {}",
                                item.product_id,
                                show_rupiah(line.unit_price)
                            ),
                        ));
                    }
                    line.quantity += item.quantity;
                }
                None => {
                    lines.insert(
                        item.product_id,
                        LegacyOrderItem {
                            product: item.product_id.into(),
                            product_name: products
                                .get(&item.product_id)
                                .copied()
                                .unwrap_or("?")
                                .to_string(),
                            unit_price: unit,
                            quantity: item.quantity,
                        },
                    );
                }
            }
        }
        let subtotal: i64 = lines
            .values()
            .map(|l| l.unit_price * i64::from(l.quantity))
            .sum();
        let total = rupiah(
            o.total_price_cents,
            LegacyKind::Order,
            &o.id,
            "total_price_cents",
            out,
        );
        let discount = (subtotal - total).max(0);
        if total > subtotal {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Order,
                &o.id,
                "total_price_cents",
                format!(
                    "{} is more than its lines ({}): kept as the lines' sum",
                    show_rupiah(total),
                    show_rupiah(subtotal)
                ),
            ));
        }
        let amount = subtotal - discount;

        // Payments: each kept under its own gateway id.
        let mut kept = Vec::new();
        for p in payments.get(o.id.as_str()).into_iter().flatten() {
            let Some(pstatus) = payment_status(&p.status) else {
                out.problems.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    p.id,
                    "status",
                    format!("unknown status {:?}", p.status),
                ));
                continue;
            };
            if !gateway_ids.insert(p.gateway_order_id.as_str()) {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    p.id,
                    "gateway_order_id",
                    format!(
                        "{} appears on another payment too: this one is not kept",
                        p.gateway_order_id
                    ),
                ));
                continue;
            }
            let amount = rupiah(
                p.amount_cents,
                LegacyKind::Payment,
                p.id,
                "amount_cents",
                out,
            );
            if amount <= 0 {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    p.id,
                    "amount_cents",
                    "a payment of less than Rp 1 is not kept",
                ));
                continue;
            }
            if matches!(p.status.as_str(), "created" | "waiting") {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Payment,
                    p.id,
                    "status",
                    format!("was still open ({}): imported as expired", p.status),
                ));
            }
            kept.push(LegacyPayment {
                legacy_id: p.id.into(),
                gateway_order_id: p.gateway_order_id.clone(),
                method: pay_method(&p.method),
                amount,
                fee: Some(rupiah(
                    p.fee_cents,
                    LegacyKind::Payment,
                    p.id,
                    "fee_cents",
                    out,
                )),
                total_payment: Some(rupiah(
                    p.total_payment_cents,
                    LegacyKind::Payment,
                    p.id,
                    "total_payment_cents",
                    out,
                )),
                status: pstatus,
                expires_at: p.expires_at,
                completed_at: (pstatus == ImportedPaymentStatus::Completed).then_some(p.updated_at),
                created_at: p.created_at,
                updated_at: p.updated_at,
            });
        }
        let completed = kept
            .iter()
            .find(|p| p.status == ImportedPaymentStatus::Completed);
        let method = completed
            .or(kept.last())
            .map_or(ImportedPayMethod::Manual, |p| p.method);
        let delivered = status == ImportedOrderStatus::Delivered;
        let fee = if delivered {
            completed.and_then(|p| p.fee).unwrap_or(0)
        } else {
            0
        };
        let paid_at = delivered.then(|| {
            completed
                .and_then(|p| p.completed_at)
                .unwrap_or(o.updated_at)
        });

        // The stock it sold: only a paid order holds items.
        let mut sold_items = Vec::new();
        let contents = sold
            .get(o.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if delivered {
            sold_items.extend(contents.iter().map(|c| stock(c)));
            let ordered: i64 = lines.values().map(|l| i64::from(l.quantity)).sum();
            if ordered != contents.len() as i64 {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Order,
                    &o.id,
                    "product_contents",
                    format!("paid for {ordered} item(s) but the old bot delivered {}: reconcile will name this order", contents.len()),
                ));
            }
        } else {
            for c in contents {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Stock,
                    c.id,
                    "used_by_order_id",
                    format!(
                        "used by an order that was not paid ({}): not imported",
                        o.status
                    ),
                ));
            }
        }

        out.store.orders.push(LegacyOrder {
            legacy_id: o.id.as_str().into(),
            user: o.user_id.into(),
            invoice_no: invoices[o.id.as_str()].clone(),
            status,
            method,
            subtotal,
            discount,
            fee,
            total: amount + fee,
            created_at: o.created_at,
            paid_at,
            closed_at: (!delivered).then_some(o.updated_at),
            items: lines.into_values().collect(),
            sold: sold_items,
            payments: kept,
        });
    }
}

fn deposits(raw: &RawStore, out: &mut Converted) {
    for d in &raw.deposits {
        let status = match d.status.as_str() {
            "completed" => ImportedDepositStatus::Completed,
            "pending" => {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::Deposit,
                    d.id,
                    "status",
                    "was waiting for payment: imported as expired (its gateway id is never reused)",
                ));
                ImportedDepositStatus::Expired
            }
            "expired" => ImportedDepositStatus::Expired,
            "failed" | "cancelled" => ImportedDepositStatus::Cancelled,
            other => {
                out.problems.push(LegacyIssue::new(
                    LegacyKind::Deposit,
                    d.id,
                    "status",
                    format!("unknown status {other:?}"),
                ));
                continue;
            }
        };
        let amount = rupiah(
            d.amount_cents,
            LegacyKind::Deposit,
            d.id,
            "amount_cents",
            out,
        );
        if amount <= 0 {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Deposit,
                d.id,
                "amount_cents",
                "a deposit of less than Rp 1 is not kept",
            ));
            continue;
        }
        let payment = d.gateway_order_id.as_deref().map(|gateway| LegacyPayment {
            // Deposit payments share the mapping with `payments` rows: keep their ids apart.
            legacy_id: LegacyId(format!("deposit-{}", d.id)),
            gateway_order_id: gateway.to_string(),
            method: pay_method(&d.method),
            amount,
            fee: Some(d.fee_cents.div_euclid(100)),
            total_payment: Some(d.payable_cents.div_euclid(100)).filter(|t| *t > 0),
            status: match status {
                ImportedDepositStatus::Completed => ImportedPaymentStatus::Completed,
                ImportedDepositStatus::Expired => ImportedPaymentStatus::Expired,
                ImportedDepositStatus::Cancelled if d.status == "failed" => {
                    ImportedPaymentStatus::Failed
                }
                ImportedDepositStatus::Cancelled => ImportedPaymentStatus::Cancelled,
            },
            expires_at: d.expires_at,
            completed_at: d.completed_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        });
        out.store.deposits.push(LegacyDeposit {
            legacy_id: d.id.into(),
            user: d.user_id.into(),
            amount,
            status,
            created_at: d.created_at,
            expires_at: d.expires_at,
            completed_at: d
                .completed_at
                .or((status == ImportedDepositStatus::Completed).then_some(d.updated_at)),
            payment,
        });
    }
}

fn texts(raw: &RawStore, out: &mut Converted) {
    let mut chosen: BTreeMap<&'static str, LegacyTemplate> = BTreeMap::new();
    let config = |key: &str| {
        raw.configs
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.trim())
            .filter(|v| !v.is_empty())
    };
    // What the old bot really showed for Cara Order comes first.
    if let Some(text) = config(CARA_ORDER_TEXT) {
        let mapped = templates::map_placeholders(text);
        note_unknown(&mapped, LegacyKind::Template, CARA_ORDER_TEXT, out);
        chosen.insert(
            autoorder_schema::queries::shop::templates::HOW_TO_ORDER,
            LegacyTemplate {
                legacy_id: CARA_ORDER_TEXT.into(),
                key: autoorder_schema::queries::shop::templates::HOW_TO_ORDER.to_string(),
                body: mapped.body,
                photo: config(CARA_ORDER_PHOTO).map(str::to_string),
            },
        );
    }
    for t in &raw.reply_templates {
        let Some(key) = templates::key_for_label(&t.label) else {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Template,
                &t.label,
                "label",
                "no text of ours has this name: not imported (set it up in Respon bot if it is needed)",
            ));
            continue;
        };
        if !t.is_active {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Template,
                &t.label,
                "is_active",
                "switched off in the old bot: not imported",
            ));
            continue;
        }
        if let Some(first) = chosen.get(key) {
            out.notes.push(LegacyIssue::new(
                LegacyKind::Template,
                &t.label,
                "label",
                format!(
                    "{key} already comes from {}: this one is not imported",
                    first.legacy_id
                ),
            ));
            continue;
        }
        let mapped = templates::map_placeholders(t.content.trim());
        note_unknown(&mapped, LegacyKind::Template, &t.label, out);
        chosen.insert(
            key,
            LegacyTemplate {
                legacy_id: t.label.as_str().into(),
                key: key.to_string(),
                body: mapped.body,
                photo: None,
            },
        );
    }
    out.store.templates = chosen.into_values().collect();
}

fn note_unknown(mapped: &templates::Mapped, kind: LegacyKind, id: &str, out: &mut Converted) {
    for name in &mapped.unknown {
        out.notes.push(LegacyIssue::new(
            kind,
            id,
            "content",
            format!(
                "placeholder {{{name}}} has no equivalent here (ours: {}): it will show as written; edit the text in Respon bot",
                templates::OUR_PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
            ),
        ));
    }
}

fn snk_answers(raw: &RawStore, options: &Options<'_>, out: &mut Converted) {
    let cutoff = options.now - i64::from(options.snk_retention_days) * 86_400_000;
    let orders: HashSet<&str> = raw.orders.iter().map(|o| o.id.as_str()).collect();
    let (mut no_key, mut too_old) = (0usize, 0usize);
    for s in &raw.submissions {
        if s.created_at < cutoff {
            too_old += 1;
            continue;
        }
        if !orders.contains(s.order_id.as_str()) {
            continue;
        }
        let text = match (
            s.message
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty()),
            options.legacy_key,
        ) {
            (None, _) => None,
            (Some(_), None) => {
                no_key += 1;
                continue;
            }
            (Some(token), Some(key)) => match key.decrypt(token) {
                Some(text) => Some(Secret::new(text)),
                None => {
                    out.problems.push(LegacyIssue::new(
                        LegacyKind::SnkAnswer,
                        s.id,
                        "message",
                        "does not decrypt with --legacy-key (a wrong key, or not the old bot's DATA_ENCRYPTION_KEY)",
                    ));
                    continue;
                }
            },
        };
        let photo = match s.media_type.as_deref() {
            Some("photo") => s.media_file_id.clone(),
            Some(other) if s.media_file_id.is_some() => {
                out.notes.push(LegacyIssue::new(
                    LegacyKind::SnkAnswer,
                    s.id,
                    "media_type",
                    format!("a {other} attachment cannot be kept (answers hold text and a photo)"),
                ));
                None
            }
            _ => None,
        };
        if text.is_none() && photo.is_none() {
            continue;
        }
        out.store.snk_answers.push(LegacySnkAnswer {
            legacy_id: s.id.into(),
            order: s.order_id.as_str().into(),
            product: s.product_id.into(),
            user_telegram_id: s.telegram_user_id,
            text,
            photo_file_id: photo,
            created_at: s.created_at,
        });
    }
    if no_key > 0 {
        out.notes.push(LegacyIssue::new(
            LegacyKind::SnkAnswer,
            "*",
            "message",
            format!("{no_key} answer(s) with text skipped: give --legacy-key (the old bot.env's DATA_ENCRYPTION_KEY) to bring them"),
        ));
    }
    if too_old > 0 {
        out.notes.push(LegacyIssue::new(
            LegacyKind::SnkAnswer,
            "*",
            "created_at",
            format!(
                "{too_old} answer(s) older than SNK_RETENTION_DAYS ({}) left out: they would be purged at once",
                options.snk_retention_days
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_keeps_whole_amounts_and_notes_the_rest() {
        let mut out = Converted::default();
        assert_eq!(
            rupiah(3_000_000, LegacyKind::User, 1, "balance_cents", &mut out),
            30_000
        );
        assert!(out.notes.is_empty());
        assert_eq!(
            rupiah(1_234_550, LegacyKind::User, 2, "balance_cents", &mut out),
            12_345
        );
        assert_eq!(
            out.notes[0].to_string(),
            "users #2 balance_cents: Rp 12.345,50 is not whole Rupiah: imported as Rp 12.345, the Rp 0,50 left out"
        );
        assert_eq!(show_rupiah(-1_500), "-Rp 1.500");
        assert_eq!(show_rupiah(999), "Rp 999");
    }

    #[test]
    fn codes_take_our_form() {
        assert_eq!(our_code("nf1m"), "NF1M");
        assert_eq!(our_code(" spot 1 bulan! "), "SPOT-1-BULAN");
        assert_eq!(our_code("ML_86-A"), "ML_86-A");
    }
}
