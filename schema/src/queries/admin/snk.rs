//! A product's SNK (terms the buyer answers after delivery): set or clear, against the SNK's own
//! version. The change is returned with its before/after so the bot can tell the owners (every
//! change, clearing included).

use diesel::prelude::*;
use serde_json::json;

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::{ProductId, SellerId};
use super::rules;
use super::tx::{AdminRefusal, InvalidField, admin_tx, changed_meanwhile};
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::products as p;

/// An SNK change that was saved (or found to change nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnkChange {
    pub product_name: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The SNK version after the change (the next edit names it).
    pub version: i64,
    /// False when the new text equals the old one: nothing was written or audited.
    pub changed: bool,
}

/// A product's SNK and the version an edit must name.
pub fn snk_of(
    conn: &mut DbConnection,
    product: ProductId,
) -> Result<Option<(Option<String>, i64)>, StoreError> {
    Ok(p::table
        .filter(p::id.eq(product.0))
        .select((p::snk, p::snk_version))
        .first(conn)
        .optional()?)
}

/// Sets (`Some`) or clears (`None`) a product's SNK if its SNK is still at `expected_version`.
/// Blank text counts as clearing. Refused: [`AdminRefusal::ChangedMeanwhile`],
/// [`AdminRefusal::NotFound`], [`AdminRefusal::Invalid`] (over 3000 characters).
pub fn set_snk(
    conn: &mut DbConnection,
    seller: SellerId,
    product: ProductId,
    expected_version: i64,
    snk: Option<&str>,
) -> Result<Result<SnkChange, AdminRefusal>, StoreError> {
    let after = snk
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    admin_tx(conn, |conn| {
        if after
            .as_deref()
            .is_some_and(|t| !rules::is_valid_long_text(t))
        {
            return Err(AdminRefusal::Invalid(InvalidField::Snk).into());
        }
        let row: Option<(String, Option<String>, i64)> = p::table
            .filter(p::id.eq(product.0))
            .select((p::name, p::snk, p::snk_version))
            .first(conn)
            .optional()?;
        let Some((product_name, before, version)) = row else {
            return Err(AdminRefusal::NotFound.into());
        };
        if version != expected_version {
            return Err(changed_meanwhile(conn, &subject::snk(product), version)?);
        }
        if before == after {
            return Ok(SnkChange {
                product_name,
                before,
                after,
                version,
                changed: false,
            });
        }
        let updated = diesel::update(
            p::table
                .filter(p::id.eq(product.0))
                .filter(p::snk_version.eq(expected_version)),
        )
        .set((
            p::snk.eq(&after),
            p::snk_version.eq(p::snk_version + 1),
            p::updated_at.eq(now_ms()),
        ))
        .execute(conn)?;
        if updated == 0 {
            let now = snk_of(conn, product)?.map_or(version + 1, |(_, v)| v);
            return Err(changed_meanwhile(conn, &subject::snk(product), now)?);
        }
        let action = if after.is_some() {
            AdminAction::SnkSet
        } else {
            AdminAction::SnkClear
        };
        record_admin_write(
            conn,
            seller,
            action,
            &subject::snk(product),
            json!({ "snk": before }),
            json!({ "snk": after }),
        )?;
        Ok(SnkChange {
            product_name,
            before,
            after,
            version: expected_version + 1,
            changed: true,
        })
    })
}
