//! Vouchers: create (code, percent or flat, value, maximum uses, validity window — each part may
//! be "no limit"), list with uses and status, deactivate / reactivate. The customer's voucher
//! dialog reads the same rows ([`crate::queries::shop::vouchers`]), so a new voucher works at
//! once.

use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::{SellerId, VoucherId};
use super::paging::{Page, PageRequest};
use super::rules;
use super::tx::{AdminRefusal, InvalidField, admin_tx};
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::queries::shop::vouchers::normalise_code;
use crate::tables::vouchers as v;

/// How a voucher discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherKind {
    /// `value` percent of the subtotal (1–100).
    Percent,
    /// `value` Rupiah off (never more than the subtotal).
    Flat,
}

impl VoucherKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherKind::Percent => "percent",
            VoucherKind::Flat => "flat",
        }
    }

    fn parse(s: &str) -> Result<VoucherKind, StoreError> {
        match s {
            "percent" => Ok(VoucherKind::Percent),
            "flat" => Ok(VoucherKind::Flat),
            other => Err(StoreError::Corrupt(format!("voucher kind {other:?}"))),
        }
    }
}

/// A voucher to create (the wizard's draft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoucher {
    /// 2–32 of `A-Z 0-9 _ -` (upper-cased here).
    pub code: String,
    pub kind: VoucherKind,
    /// Percent (1–100) or Rupiah (1 ..= the highest price).
    pub value: i64,
    /// `None`: no limit.
    pub max_uses: Option<i32>,
    /// Epoch milliseconds; `None`: valid at once.
    pub valid_from: Option<i64>,
    /// Epoch milliseconds; `None`: no end.
    pub valid_until: Option<i64>,
}

/// Where a voucher stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherStatus {
    /// Customers can use it.
    Active,
    /// A seller deactivated it.
    Inactive,
    /// Its validity starts later.
    Scheduled,
    /// Its validity ended.
    Expired,
    /// Every use is taken.
    UsedUp,
}

/// A voucher in the admin list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherInfo {
    pub id: VoucherId,
    pub code: String,
    pub kind: VoucherKind,
    pub value: i64,
    pub used: i32,
    pub max_uses: Option<i32>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub active: bool,
    /// At the time it was read.
    pub status: VoucherStatus,
}

/// The status of a voucher at `now` (deactivation first, then the window, then the uses).
pub fn status_at(
    active: bool,
    used: i32,
    max_uses: Option<i32>,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    now: i64,
) -> VoucherStatus {
    if !active {
        VoucherStatus::Inactive
    } else if valid_until.is_some_and(|u| now > u) {
        VoucherStatus::Expired
    } else if valid_from.is_some_and(|f| now < f) {
        VoucherStatus::Scheduled
    } else if max_uses.is_some_and(|m| used >= m) {
        VoucherStatus::UsedUp
    } else {
        VoucherStatus::Active
    }
}

/// id, code, kind, value, used, max uses, valid from, valid until, active.
type Row = (
    i64,
    String,
    String,
    i64,
    i32,
    Option<i32>,
    Option<i64>,
    Option<i64>,
    bool,
);

fn info(
    (id, code, kind, value, used, max_uses, from, until, active): Row,
    now: i64,
) -> Result<VoucherInfo, StoreError> {
    Ok(VoucherInfo {
        id: VoucherId(id),
        code,
        kind: VoucherKind::parse(&kind)?,
        value,
        used,
        max_uses,
        valid_from: from,
        valid_until: until,
        active,
        status: status_at(active, used, max_uses, from, until, now),
    })
}

macro_rules! voucher_columns {
    () => {
        (
            v::id,
            v::code,
            v::kind,
            v::value,
            v::used_count,
            v::max_uses,
            v::valid_from,
            v::valid_until,
            v::is_active,
        )
    };
}

/// A page of vouchers, newest first.
pub fn list_vouchers(
    conn: &mut DbConnection,
    request: PageRequest,
) -> Result<Page<VoucherInfo>, StoreError> {
    let total: i64 = v::table.select(count_star()).first(conn)?;
    let (page, offset, pages) = request.resolve(total);
    let now = now_ms();
    let rows: Vec<Row> = v::table
        .order(v::id.desc())
        .offset(offset)
        .limit(i64::from(request.per_page))
        .select(voucher_columns!())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| info(row, now))
        .collect::<Result<_, _>>()?;
    Ok(Page::new(items, page, pages, total))
}

/// One voucher.
pub fn voucher(conn: &mut DbConnection, id: VoucherId) -> Result<Option<VoucherInfo>, StoreError> {
    let row: Option<Row> = v::table
        .filter(v::id.eq(id.0))
        .select(voucher_columns!())
        .first(conn)
        .optional()?;
    row.map(|row| info(row, now_ms())).transpose()
}

fn invalid(new: &NewVoucher, code: &str, now: i64) -> Option<InvalidField> {
    let value_ok = match new.kind {
        VoucherKind::Percent => (1..=rules::MAX_PERCENT).contains(&new.value),
        VoucherKind::Flat => rules::is_valid_price(new.value),
    };
    if !rules::is_valid_code(code) {
        Some(InvalidField::Code)
    } else if !value_ok {
        Some(InvalidField::VoucherValue)
    } else if new
        .max_uses
        .is_some_and(|m| !(1..=rules::MAX_VOUCHER_USES).contains(&m))
    {
        Some(InvalidField::MaxUses)
    } else if new.valid_until.is_some_and(|u| u <= now)
        || matches!((new.valid_from, new.valid_until), (Some(f), Some(u)) if f >= u)
    {
        Some(InvalidField::VoucherWindow)
    } else {
        None
    }
}

/// Creates an active voucher. Refused: [`AdminRefusal::CodeTaken`], [`AdminRefusal::Invalid`].
pub fn create_voucher(
    conn: &mut DbConnection,
    seller: SellerId,
    new: &NewVoucher,
) -> Result<Result<VoucherId, AdminRefusal>, StoreError> {
    let code = normalise_code(&new.code);
    admin_tx(conn, |conn| {
        let now = now_ms();
        if let Some(field) = invalid(new, &code, now) {
            return Err(AdminRefusal::Invalid(field).into());
        }
        let id: Option<i64> = crate::on_backend!(conn, k => diesel::insert_into(v::table)
            .values((
                v::code.eq(&code),
                v::kind.eq(new.kind.as_str()),
                v::value.eq(new.value),
                v::max_uses.eq(new.max_uses),
                v::valid_from.eq(new.valid_from),
                v::valid_until.eq(new.valid_until),
                v::is_active.eq(true),
                v::created_at.eq(now),
            ))
            .on_conflict(v::code)
            .do_nothing()
            .returning(v::id)
            .get_result(k)
            .optional()?);
        let Some(id) = id.map(VoucherId) else {
            return Err(AdminRefusal::CodeTaken.into());
        };
        record_admin_write(
            conn,
            seller,
            AdminAction::VoucherCreate,
            &subject::voucher(id),
            Value::Null,
            json!({
                "code": code,
                "kind": new.kind.as_str(),
                "value": new.value,
                "max_uses": new.max_uses,
                "valid_from": new.valid_from,
                "valid_until": new.valid_until,
            }),
        )?;
        Ok(id)
    })
}

/// Deactivates (`false`) or reactivates (`true`) a voucher; returns whether that changed it.
/// Orders already placed with it keep their discount. Refused: [`AdminRefusal::NotFound`].
pub fn set_voucher_active(
    conn: &mut DbConnection,
    seller: SellerId,
    id: VoucherId,
    active: bool,
) -> Result<Result<bool, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let now: Option<bool> = v::table
            .filter(v::id.eq(id.0))
            .select(v::is_active)
            .first(conn)
            .optional()?;
        let Some(was) = now else {
            return Err(AdminRefusal::NotFound.into());
        };
        if was == active {
            return Ok(false);
        }
        diesel::update(v::table.filter(v::id.eq(id.0)))
            .set(v::is_active.eq(active))
            .execute(conn)?;
        record_admin_write(
            conn,
            seller,
            if active {
                AdminAction::VoucherReactivate
            } else {
                AdminAction::VoucherDeactivate
            },
            &subject::voucher(id),
            json!({ "active": was }),
            json!({ "active": active }),
        )?;
        Ok(true)
    })
}
