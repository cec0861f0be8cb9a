//! Categories: add, rename (against a version), reorder (move up / down) and delete when empty.
//! The customer catalog shows them as buttons in `sort_order` once there are two or more.

use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::{CategoryId, SellerId};
use super::rules;
use super::tx::{AdminRefusal, InvalidField, TxError, admin_tx, changed_meanwhile};
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::{categories as c, products as p};

/// A category in the admin list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInfo {
    pub id: CategoryId,
    pub name: String,
    /// Position in the menu (lower first).
    pub sort_order: i32,
    /// The version a rename must name.
    pub version: i64,
    /// Products on sale in it.
    pub active_products: i64,
    /// Archived products still in it (they keep it from being deleted).
    pub archived_products: i64,
}

/// Where a category moves in the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Every category in menu order (`sort_order`, then id), with product counts.
pub fn list_categories(conn: &mut DbConnection) -> Result<Vec<CategoryInfo>, StoreError> {
    let rows: Vec<(i64, String, i32, i64)> = c::table
        .order((c::sort_order.asc(), c::id.asc()))
        .select((c::id, c::name, c::sort_order, c::version))
        .load(conn)?;
    let counts: Vec<(Option<i64>, Option<i64>, bool)> = p::table
        .filter(p::category_id.is_not_null())
        .select((p::category_id, p::archived_at, p::is_active))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, sort_order, version)| {
            let (mut active, mut archived) = (0, 0);
            for (_, archived_at, is_active) in counts.iter().filter(|r| r.0 == Some(id)) {
                if archived_at.is_some() || !is_active {
                    archived += 1;
                } else {
                    active += 1;
                }
            }
            CategoryInfo {
                id: CategoryId(id),
                name,
                sort_order,
                version,
                active_products: active,
                archived_products: archived,
            }
        })
        .collect())
}

/// One category.
pub fn category(
    conn: &mut DbConnection,
    id: CategoryId,
) -> Result<Option<CategoryInfo>, StoreError> {
    Ok(list_categories(conn)?.into_iter().find(|c| c.id == id))
}

/// True when another category (not `except`) has this name, compared without case.
fn name_taken(
    conn: &mut DbConnection,
    name: &str,
    except: Option<CategoryId>,
) -> Result<bool, StoreError> {
    let names: Vec<(i64, String)> = c::table.select((c::id, c::name)).load(conn)?;
    let wanted = name.to_lowercase();
    Ok(names
        .iter()
        .any(|(id, n)| Some(CategoryId(*id)) != except && n.to_lowercase() == wanted))
}

/// Adds a category at the end of the menu. Refused: [`AdminRefusal::NameTaken`],
/// [`AdminRefusal::Invalid`].
pub fn add_category(
    conn: &mut DbConnection,
    seller: SellerId,
    name: &str,
) -> Result<Result<CategoryId, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        if !rules::is_valid_category_name(name) {
            return Err(AdminRefusal::Invalid(InvalidField::CategoryName).into());
        }
        if name_taken(conn, name, None)? {
            return Err(AdminRefusal::NameTaken.into());
        }
        let last: Option<i32> = c::table
            .select(diesel::dsl::max(c::sort_order))
            .first(conn)?;
        let id: Option<i64> = crate::on_backend!(conn, k => diesel::insert_into(c::table)
            .values((
                c::name.eq(name),
                c::sort_order.eq(last.map_or(0, |l| l + 1)),
                c::created_at.eq(now_ms()),
            ))
            .on_conflict(c::name)
            .do_nothing()
            .returning(c::id)
            .get_result(k)
            .optional()?);
        let Some(id) = id.map(CategoryId) else {
            return Err(AdminRefusal::NameTaken.into());
        };
        record_admin_write(
            conn,
            seller,
            AdminAction::CategoryCreate,
            &subject::category(id),
            Value::Null,
            json!({ "name": name }),
        )?;
        Ok(id)
    })
}

fn version_and_name(
    conn: &mut DbConnection,
    id: CategoryId,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(c::table
        .filter(c::id.eq(id.0))
        .select((c::version, c::name))
        .first(conn)
        .optional()?)
}

/// Renames a category still at `expected_version`; returns the new version. Refused:
/// [`AdminRefusal::NameTaken`], [`AdminRefusal::ChangedMeanwhile`], [`AdminRefusal::NotFound`],
/// [`AdminRefusal::Invalid`].
pub fn rename_category(
    conn: &mut DbConnection,
    seller: SellerId,
    id: CategoryId,
    expected_version: i64,
    name: &str,
) -> Result<Result<i64, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        if !rules::is_valid_category_name(name) {
            return Err(AdminRefusal::Invalid(InvalidField::CategoryName).into());
        }
        let Some((version, before)) = version_and_name(conn, id)? else {
            return Err(AdminRefusal::NotFound.into());
        };
        if version != expected_version {
            return Err(changed_meanwhile(conn, &subject::category(id), version)?);
        }
        if name_taken(conn, name, Some(id))? {
            return Err(AdminRefusal::NameTaken.into());
        }
        let updated = diesel::update(
            c::table
                .filter(c::id.eq(id.0))
                .filter(c::version.eq(expected_version)),
        )
        .set((c::name.eq(name), c::version.eq(c::version + 1)))
        .execute(conn)
        .map_err(|e| match e {
            // Renamed to a name taken at the same instant (PostgreSQL's unique index).
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => TxError::Refused(AdminRefusal::NameTaken),
            e => e.into(),
        })?;
        if updated == 0 {
            let now = version_and_name(conn, id)?.map_or(version + 1, |(v, _)| v);
            return Err(changed_meanwhile(conn, &subject::category(id), now)?);
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::CategoryRename,
            &subject::category(id),
            json!({ "name": before }),
            json!({ "name": name }),
        )?;
        Ok(expected_version + 1)
    })
}

/// Moves a category one place up or down in the menu (nothing happens at either end), and
/// renumbers the menu 0, 1, 2, … so equal positions left by imports cannot stall a move.
/// Returns whether it moved. Refused: [`AdminRefusal::NotFound`].
pub fn move_category(
    conn: &mut DbConnection,
    seller: SellerId,
    id: CategoryId,
    direction: Direction,
) -> Result<Result<bool, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let mut order: Vec<(i64, i32)> = c::table
            .order((c::sort_order.asc(), c::id.asc()))
            .select((c::id, c::sort_order))
            .load(conn)?;
        let Some(at) = order.iter().position(|(cid, _)| *cid == id.0) else {
            return Err(AdminRefusal::NotFound.into());
        };
        let to = match direction {
            Direction::Up if at > 0 => at - 1,
            Direction::Down if at + 1 < order.len() => at + 1,
            _ => return Ok(false),
        };
        order.swap(at, to);
        for (position, (cid, old)) in order.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            if *old != position {
                diesel::update(c::table.filter(c::id.eq(cid)))
                    .set(c::sort_order.eq(position))
                    .execute(conn)?;
            }
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::CategoryMove,
            &subject::category(id),
            json!({ "position": at }),
            json!({ "position": to }),
        )?;
        Ok(true)
    })
}

/// Deletes a category no product is in (archived ones count: they would lose it on restore).
/// Refused: [`AdminRefusal::CategoryNotEmpty`], [`AdminRefusal::NotFound`].
pub fn delete_category(
    conn: &mut DbConnection,
    seller: SellerId,
    id: CategoryId,
) -> Result<Result<(), AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let Some((_, name)) = version_and_name(conn, id)? else {
            return Err(AdminRefusal::NotFound.into());
        };
        let products: i64 = p::table
            .filter(p::category_id.eq(id.0))
            .select(count_star())
            .first(conn)?;
        if products > 0 {
            return Err(AdminRefusal::CategoryNotEmpty { products }.into());
        }
        // A product moved into it meanwhile makes the foreign key refuse; that is an error, and
        // nothing is deleted.
        diesel::delete(c::table.filter(c::id.eq(id.0))).execute(conn)?;
        record_admin_write(
            conn,
            seller,
            AdminAction::CategoryDelete,
            &subject::category(id),
            json!({ "name": name }),
            Value::Null,
        )?;
        Ok(())
    })
}
