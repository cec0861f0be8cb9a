//! Products: add, edit one field against a version, archive / delete (only without orders) /
//! restore, and the paged lists of active and archived products the pickers show.
//!
//! A product is *archived* when `archived_at` is set or it is inactive (the catalog import treats
//! both as archived); archiving sets both and restoring clears both. Products that any order names
//! are archived, never deleted, so order history keeps its product.

use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::{CategoryId, ProductId, SellerId};
use super::paging::{Page, PageRequest};
use super::rules;
use super::stock::{StockCounts, stock_counts};
use super::tx::{AdminRefusal, InvalidField, TxError, admin_tx, changed_meanwhile};
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::{
    cart_items as ci, categories as c, order_items as oi, products as p, stock_items as s,
};

/// A product to add (the wizard's draft, validated by the bot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Unique code, 2–32 of `A-Z 0-9 _ -`.
    pub code: String,
    pub name: String,
    /// Whole Rupiah.
    pub price: i64,
    /// May be empty.
    pub description: String,
    pub category: Option<CategoryId>,
    /// Terms the buyer answers after delivery; `None` for none.
    pub snk: Option<String>,
}

/// One field of a product, with its new value: a seller edits one field at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductChange {
    Name(String),
    Price(i64),
    Description(String),
    Category(Option<CategoryId>),
}

impl ProductChange {
    /// The field's name in audit rows.
    fn field(&self) -> &'static str {
        match self {
            ProductChange::Name(_) => "name",
            ProductChange::Price(_) => "price",
            ProductChange::Description(_) => "description",
            ProductChange::Category(_) => "category_id",
        }
    }

    fn check(&self) -> Result<(), AdminRefusal> {
        let invalid = match self {
            ProductChange::Name(name) if !rules::is_valid_product_name(name) => {
                Some(InvalidField::ProductName)
            }
            ProductChange::Price(price) if !rules::is_valid_price(*price) => {
                Some(InvalidField::Price)
            }
            ProductChange::Description(text) if !rules::is_valid_long_text(text) => {
                Some(InvalidField::Description)
            }
            _ => None,
        };
        invalid.map_or(Ok(()), |field| Err(AdminRefusal::Invalid(field)))
    }
}

/// Which products a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductList {
    /// For sale (or could be, once stocked).
    Active,
    /// Archived: hidden from customers, restorable.
    Archived,
}

/// One line of a product picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSummary {
    pub id: ProductId,
    pub code: String,
    pub name: String,
    pub price: i64,
    /// Unsold, unreserved items.
    pub available: i64,
    pub category: Option<String>,
    /// Whether it has SNK text.
    pub has_snk: bool,
}

/// A category as a product shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRef {
    pub id: CategoryId,
    pub name: String,
}

/// A product's admin card: every field, its versions, stock and whether orders name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminProduct {
    pub id: ProductId,
    pub code: String,
    pub name: String,
    pub price: i64,
    pub description: String,
    pub category: Option<CategoryRef>,
    pub snk: Option<String>,
    /// When it was archived (`Some(0)` for a product that is merely inactive).
    pub archived_at: Option<i64>,
    /// The version an edit of its fields must name.
    pub version: i64,
    /// The version an SNK edit must name.
    pub snk_version: i64,
    pub stock: StockCounts,
    /// Orders naming it (any status): more than 0 means it can be archived, never deleted.
    pub orders: i64,
}

impl AdminProduct {
    /// Hidden from customers.
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

/// id, code, name, price, description, category id, category name, snk, active, archived at,
/// version, snk version.
type CardRow = (
    i64,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    bool,
    Option<i64>,
    i64,
    i64,
);

/// A product's card, archived or not.
pub fn product(conn: &mut DbConnection, id: ProductId) -> Result<Option<AdminProduct>, StoreError> {
    let row: Option<CardRow> = p::table
        .left_join(c::table)
        .filter(p::id.eq(id.0))
        .select((
            p::id,
            p::code,
            p::name,
            p::price,
            p::description,
            p::category_id,
            c::name.nullable(),
            p::snk,
            p::is_active,
            p::archived_at,
            p::version,
            p::snk_version,
        ))
        .first(conn)
        .optional()?;
    let Some((
        id,
        code,
        name,
        price,
        description,
        category_id,
        category_name,
        snk,
        is_active,
        archived_at,
        version,
        snk_version,
    )) = row
    else {
        return Ok(None);
    };
    let id = ProductId(id);
    let stock = stock_counts(conn, id)?;
    let orders = orders_naming(conn, id)?;
    Ok(Some(AdminProduct {
        id,
        code,
        name,
        price,
        description,
        category: category_id
            .zip(category_name)
            .map(|(id, name)| CategoryRef {
                id: CategoryId(id),
                name,
            }),
        snk,
        archived_at: archived_at.or((!is_active).then_some(0)),
        version,
        snk_version,
        stock,
        orders,
    }))
}

/// How many orders (any status) name the product.
pub fn orders_naming(conn: &mut DbConnection, id: ProductId) -> Result<i64, StoreError> {
    let orders: Vec<i64> = oi::table
        .filter(oi::product_id.eq(id.0))
        .select(oi::order_id)
        .distinct()
        .load(conn)?;
    Ok(orders.len() as i64)
}

/// A page of active or archived products, by name.
pub fn list_products(
    conn: &mut DbConnection,
    which: ProductList,
    request: PageRequest,
) -> Result<Page<ProductSummary>, StoreError> {
    let archived = which == ProductList::Archived;
    let is_archived = p::archived_at.is_not_null().or(p::is_active.eq(false));
    let total: i64 = p::table
        .filter(is_archived.eq(archived))
        .select(count_star())
        .first(conn)?;
    let (page, offset, pages) = request.resolve(total);
    let rows: Vec<(i64, String, String, i64, Option<String>, bool)> = p::table
        .left_join(c::table)
        .filter(is_archived.eq(archived))
        .order((p::name.asc(), p::id.asc()))
        .offset(offset)
        .limit(i64::from(request.per_page))
        .select((
            p::id,
            p::code,
            p::name,
            p::price,
            c::name.nullable(),
            p::snk.is_not_null(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let counts: std::collections::HashMap<i64, i64> = s::table
        .filter(s::product_id.eq_any(&ids))
        .filter(s::state.eq("available"))
        .group_by(s::product_id)
        .select((s::product_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let items = rows
        .into_iter()
        .map(
            |(id, code, name, price, category, has_snk)| ProductSummary {
                id: ProductId(id),
                code,
                name,
                price,
                available: counts.get(&id).copied().unwrap_or(0),
                category,
                has_snk,
            },
        )
        .collect();
    Ok(Page::new(items, page, pages, total))
}

fn snapshot(product: &NewProduct) -> Value {
    json!({
        "code": product.code,
        "name": product.name,
        "price": product.price,
        "description": product.description,
        "category_id": product.category.map(|c| c.0),
        "snk": product.snk,
    })
}

fn category_exists(conn: &mut DbConnection, id: CategoryId) -> Result<bool, StoreError> {
    let n: i64 = c::table
        .filter(c::id.eq(id.0))
        .select(count_star())
        .first(conn)?;
    Ok(n > 0)
}

/// Adds a product (no stock yet). Refused: [`AdminRefusal::CodeTaken`],
/// [`AdminRefusal::CategoryGone`], [`AdminRefusal::Invalid`].
pub fn create_product(
    conn: &mut DbConnection,
    seller: SellerId,
    new: &NewProduct,
) -> Result<Result<ProductId, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let invalid = if !rules::is_valid_code(&new.code) {
            Some(InvalidField::Code)
        } else if !rules::is_valid_product_name(&new.name) {
            Some(InvalidField::ProductName)
        } else if !rules::is_valid_price(new.price) {
            Some(InvalidField::Price)
        } else if !rules::is_valid_long_text(&new.description) {
            Some(InvalidField::Description)
        } else if new
            .snk
            .as_deref()
            .is_some_and(|t| t.trim().is_empty() || !rules::is_valid_long_text(t))
        {
            Some(InvalidField::Snk)
        } else {
            None
        };
        if let Some(field) = invalid {
            return Err(AdminRefusal::Invalid(field).into());
        }
        if let Some(category) = new.category
            && !category_exists(conn, category)?
        {
            return Err(AdminRefusal::CategoryGone.into());
        }
        let now = now_ms();
        // ON CONFLICT DO NOTHING: a code taken at the same instant by another seller is a
        // refusal, not an error that would abort the caller's transaction.
        let id: Option<i64> = crate::on_backend!(conn, k => diesel::insert_into(p::table)
            .values((
                p::code.eq(&new.code),
                p::name.eq(&new.name),
                p::price.eq(new.price),
                p::description.eq(&new.description),
                p::category_id.eq(new.category.map(|c| c.0)),
                p::snk.eq(&new.snk),
                p::is_active.eq(true),
                p::created_at.eq(now),
                p::updated_at.eq(now),
            ))
            .on_conflict(p::code)
            .do_nothing()
            .returning(p::id)
            .get_result(k)
            .optional()?);
        let Some(id) = id.map(ProductId) else {
            return Err(AdminRefusal::CodeTaken.into());
        };
        record_admin_write(
            conn,
            seller,
            AdminAction::ProductCreate,
            &subject::product(id),
            Value::Null,
            snapshot(new),
        )?;
        Ok(id)
    })
}

/// What an edit changed, for the confirmation the seller sees and the owners' notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductEdited {
    /// The version after the edit (the next edit names it).
    pub version: i64,
    /// The product's name after the edit.
    pub name: String,
}

/// Version, archived, and the current value of every editable field.
struct Current {
    version: i64,
    archived: bool,
    name: String,
    price: i64,
    description: String,
    category: Option<i64>,
}

fn current(conn: &mut DbConnection, id: ProductId) -> Result<Option<Current>, StoreError> {
    type Row = (i64, Option<i64>, bool, String, i64, String, Option<i64>);
    let row: Option<Row> = p::table
        .filter(p::id.eq(id.0))
        .select((
            p::version,
            p::archived_at,
            p::is_active,
            p::name,
            p::price,
            p::description,
            p::category_id,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(version, archived_at, is_active, name, price, description, category)| Current {
            version,
            archived: archived_at.is_some() || !is_active,
            name,
            price,
            description,
            category,
        },
    ))
}

/// Loads the product and checks the version the caller based its change on.
fn checked(
    conn: &mut DbConnection,
    id: ProductId,
    expected_version: i64,
) -> Result<Current, TxError> {
    let Some(now) = current(conn, id)? else {
        return Err(AdminRefusal::NotFound.into());
    };
    if now.version != expected_version {
        return Err(changed_meanwhile(conn, &subject::product(id), now.version)?);
    }
    Ok(now)
}

/// After a guarded update matched no row: the version moved between our read and our write.
fn raced(conn: &mut DbConnection, id: ProductId) -> Result<TxError, StoreError> {
    match current(conn, id)? {
        Some(now) => changed_meanwhile(conn, &subject::product(id), now.version),
        None => Ok(AdminRefusal::NotFound.into()),
    }
}

/// Changes one field of a product, if it is still at `expected_version`. Refused:
/// [`AdminRefusal::ChangedMeanwhile`], [`AdminRefusal::NotFound`],
/// [`AdminRefusal::CategoryGone`], [`AdminRefusal::Invalid`].
pub fn edit_product(
    conn: &mut DbConnection,
    seller: SellerId,
    id: ProductId,
    expected_version: i64,
    change: &ProductChange,
) -> Result<Result<ProductEdited, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        change.check()?;
        let now = checked(conn, id, expected_version)?;
        let (before, after) = match change {
            ProductChange::Name(v) => (json!(now.name), json!(v)),
            ProductChange::Price(v) => (json!(now.price), json!(v)),
            ProductChange::Description(v) => (json!(now.description), json!(v)),
            ProductChange::Category(v) => {
                if let Some(category) = v
                    && !category_exists(conn, *category)?
                {
                    return Err(AdminRefusal::CategoryGone.into());
                }
                (json!(now.category), json!(v.map(|c| c.0)))
            }
        };
        let target = p::table
            .filter(p::id.eq(id.0))
            .filter(p::version.eq(expected_version));
        let bump = (p::version.eq(p::version + 1), p::updated_at.eq(now_ms()));
        let updated = match change {
            ProductChange::Name(v) => diesel::update(target)
                .set((p::name.eq(v), bump))
                .execute(conn)?,
            ProductChange::Price(v) => diesel::update(target)
                .set((p::price.eq(v), bump))
                .execute(conn)?,
            ProductChange::Description(v) => diesel::update(target)
                .set((p::description.eq(v), bump))
                .execute(conn)?,
            ProductChange::Category(v) => diesel::update(target)
                .set((p::category_id.eq(v.map(|c| c.0)), bump))
                .execute(conn)?,
        };
        if updated == 0 {
            return Err(raced(conn, id)?);
        }
        let field = change.field();
        record_admin_write(
            conn,
            seller,
            AdminAction::ProductEdit,
            &subject::product(id),
            json!({ field: before }),
            json!({ field: after }),
        )?;
        let name = match change {
            ProductChange::Name(v) => v.clone(),
            _ => now.name,
        };
        Ok(ProductEdited {
            version: expected_version + 1,
            name,
        })
    })
}

/// Hides a product from customers (kept for order history and restorable), and takes it out of
/// carts. Refused: [`AdminRefusal::Archived`], [`AdminRefusal::ChangedMeanwhile`],
/// [`AdminRefusal::NotFound`].
pub fn archive_product(
    conn: &mut DbConnection,
    seller: SellerId,
    id: ProductId,
    expected_version: i64,
) -> Result<Result<i64, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let now = checked(conn, id, expected_version)?;
        if now.archived {
            return Err(AdminRefusal::Archived.into());
        }
        let at = now_ms();
        let updated = diesel::update(
            p::table
                .filter(p::id.eq(id.0))
                .filter(p::version.eq(expected_version)),
        )
        .set((
            p::archived_at.eq(Some(at)),
            p::is_active.eq(false),
            p::version.eq(p::version + 1),
            p::updated_at.eq(at),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(raced(conn, id)?);
        }
        let carts = diesel::delete(ci::table.filter(ci::product_id.eq(id.0))).execute(conn)?;
        record_admin_write(
            conn,
            seller,
            AdminAction::ProductArchive,
            &subject::product(id),
            json!({ "archived": false }),
            json!({ "archived": true, "removed_from_carts": carts }),
        )?;
        Ok(expected_version + 1)
    })
}

/// Puts an archived product back on sale. Refused: [`AdminRefusal::NotArchived`],
/// [`AdminRefusal::ChangedMeanwhile`], [`AdminRefusal::NotFound`].
pub fn restore_product(
    conn: &mut DbConnection,
    seller: SellerId,
    id: ProductId,
    expected_version: i64,
) -> Result<Result<i64, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let now = checked(conn, id, expected_version)?;
        if !now.archived {
            return Err(AdminRefusal::NotArchived.into());
        }
        let updated = diesel::update(
            p::table
                .filter(p::id.eq(id.0))
                .filter(p::version.eq(expected_version)),
        )
        .set((
            p::archived_at.eq(None::<i64>),
            p::is_active.eq(true),
            p::version.eq(p::version + 1),
            p::updated_at.eq(now_ms()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(raced(conn, id)?);
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::ProductRestore,
            &subject::product(id),
            json!({ "archived": true }),
            json!({ "archived": false }),
        )?;
        Ok(expected_version + 1)
    })
}

/// What a deletion removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductDeleted {
    /// Unsold items deleted with it.
    pub stock_items: usize,
    /// Cart lines removed.
    pub cart_lines: usize,
}

/// Deletes a product that no order names, with its unsold stock and cart lines. Refused:
/// [`AdminRefusal::HasOrders`] (archive it instead), [`AdminRefusal::ChangedMeanwhile`],
/// [`AdminRefusal::NotFound`].
pub fn delete_product(
    conn: &mut DbConnection,
    seller: SellerId,
    id: ProductId,
    expected_version: i64,
) -> Result<Result<ProductDeleted, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let now = checked(conn, id, expected_version)?;
        let orders = orders_naming(conn, id)?;
        if orders > 0 {
            return Err(AdminRefusal::HasOrders { orders }.into());
        }
        // Reserved or sold items mean an order names it (checked above); only available ones
        // remain, and the guard keeps it that way should a reservation race in.
        let held: i64 = s::table
            .filter(s::product_id.eq(id.0))
            .filter(s::state.ne("available"))
            .select(count_star())
            .first(conn)?;
        if held > 0 {
            return Err(AdminRefusal::HasOrders { orders: 1 }.into());
        }
        let cart_lines = diesel::delete(ci::table.filter(ci::product_id.eq(id.0))).execute(conn)?;
        let stock_items = diesel::delete(
            s::table
                .filter(s::product_id.eq(id.0))
                .filter(s::state.eq("available")),
        )
        .execute(conn)?;
        let deleted = diesel::delete(
            p::table
                .filter(p::id.eq(id.0))
                .filter(p::version.eq(expected_version)),
        )
        .execute(conn)?;
        if deleted == 0 {
            return Err(raced(conn, id)?);
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::ProductDelete,
            &subject::product(id),
            json!({
                "name": now.name,
                "price": now.price,
                "description": now.description,
                "category_id": now.category,
                "stock_items": stock_items,
            }),
            Value::Null,
        )?;
        Ok(ProductDeleted {
            stock_items,
            cart_lines,
        })
    })
}
