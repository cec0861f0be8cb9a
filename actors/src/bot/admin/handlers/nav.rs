//! Part 1's screens outside a wizard (menu, sections, lists, cards) and the presses that start
//! a wizard. Opening a screen leaves any wizard in progress (its buttons turn stale), so a
//! seller's next text is never taken by a wizard they walked away from.

use chrono::TimeZone;

use autoorder_schema::StoreError;
use autoorder_schema::now_ms;
use autoorder_schema::queries::admin::categories::{
    Direction, category, list_categories, move_category,
};
use autoorder_schema::queries::admin::products::{ProductList, list_products, product};
use autoorder_schema::queries::admin::snk::snk_of;
use autoorder_schema::queries::admin::stock::stock_counts;
use autoorder_schema::queries::admin::summary::{admin_summary, low_stock_products};
use autoorder_schema::queries::admin::templates::template_for_edit;
use autoorder_schema::queries::admin::vouchers::{VoucherStatus, list_vouchers, voucher};
use autoorder_schema::queries::admin::wizards::{buyer_mode, set_buyer_mode};
use autoorder_schema::queries::admin::{CategoryId, PageRequest, ProductId};

use super::steps;
use super::stored;
use crate::bot::admin::callback::{
    AdminCallback, CategoryAction, ProductAction, ResponAction, Section, SnkAction, StockAction,
    VoucherAction,
};
use crate::bot::admin::keyboards::PER_PAGE;
use crate::bot::admin::placeholders::Values;
use crate::bot::admin::screen::Screen;
use crate::bot::admin::wizard::{
    AddCategory, AddProduct, AddStock, AddVoucher, EditProduct, EditSnk, EditTemplate, Flow,
    Pending, RemoveStock, RenameCategory, Wizard,
};
use crate::bot::admin::{menu, products, respon, snk, stock, texts, vouchers};
use crate::bot::context::{Toast, Tx};

/// Epoch ms of today's local midnight in the store's zone.
fn day_start(tz: &chrono_tz::Tz, now: i64) -> i64 {
    let local = tz.timestamp_millis_opt(now).single();
    local
        .and_then(|t| t.date_naive().and_hms_opt(0, 0, 0))
        .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
        .map_or(now, |t| t.timestamp_millis())
}

/// The admin menu with today's summary.
pub(super) fn main_menu(tx: &mut Tx<'_>) -> Result<Screen, StoreError> {
    let settings = tx.services.settings.clone();
    let start = day_start(&settings.timezone, now_ms());
    let summary = admin_summary(tx.conn(), start, settings.shop.low_stock_threshold)?;
    let seller = stored::seller(tx);
    let buying = buyer_mode(tx.conn(), seller)?;
    Ok(menu::main_menu(&settings.store_name, &summary, buying))
}

fn page(p: u32) -> PageRequest {
    PageRequest::new(p, PER_PAGE)
}

fn show(tx: &mut Tx<'_>, screen: Screen) -> Toast {
    tx.show(screen.text, screen.keyboard);
    Toast::none()
}

/// What a press on a row that is gone (deleted meanwhile, or a forged id) answers.
fn gone(tz: &chrono_tz::Tz) -> Toast {
    Toast::alert(texts::refusal(
        &autoorder_schema::queries::admin::AdminRefusal::NotFound,
        tz,
    ))
}

/// A press outside a wizard.
pub(super) fn press(tx: &mut Tx<'_>, data: AdminCallback) -> Result<Toast, StoreError> {
    if data == AdminCallback::Noop {
        return Ok(Toast::none());
    }
    stored::clear(tx)?;
    match screen(tx, data)? {
        Some(screen) => Ok(show(tx, screen)),
        None => Ok(gone(&tx.services.settings.timezone)),
    }
}

/// Draws the screen `data` names (starting a wizard when it names one); `None` when what it
/// names is gone.
pub(super) fn screen(tx: &mut Tx<'_>, data: AdminCallback) -> Result<Option<Screen>, StoreError> {
    use AdminCallback as A;
    let threshold = tx.services.settings.shop.low_stock_threshold;
    let tz = tx.services.settings.timezone;
    Ok(Some(match data {
        A::Menu | A::Noop | A::Wizard { .. } => main_menu(tx)?,
        A::BuyerMode(on) => {
            let seller = stored::seller(tx);
            set_buyer_mode(tx.conn(), seller, on)?;
            if on {
                tx.send(texts::BUYER_MODE_ON);
                // The shop's own welcome and menu, as a customer sees them.
                crate::bot::flows::start::start(tx)?;
            } else {
                // The menu keyboard with *Admin* again.
                tx.send_with(
                    texts::BUYER_MODE_OFF,
                    crate::bot::keyboards::main_menu(true),
                );
            }
            main_menu(tx)?
        }
        A::Section(section) => match section {
            Section::Products => {
                let conn = tx.conn();
                let active = list_products(conn, ProductList::Active, page(0))?.total;
                let archived = list_products(conn, ProductList::Archived, page(0))?.total;
                let categories = list_categories(conn)?.len();
                products::section(active, archived, categories)
            }
            Section::Stock => return screen(tx, A::Stock(StockAction::Products { page: 0 })),
            Section::Snk => return screen(tx, A::Snk(SnkAction::Products { page: 0 })),
            Section::Vouchers => return screen(tx, A::Voucher(VoucherAction::List { page: 0 })),
            Section::Respon => respon::section(),
            // Part 2's sections are dispatched before this (`part2::prepare_section`).
            _ => main_menu(tx)?,
        },
        A::Product(action) => match action {
            ProductAction::List { page: p } => {
                products::product_list(&list_products(tx.conn(), ProductList::Active, page(p))?)
            }
            ProductAction::Archived { page: p } => {
                products::archived_list(&list_products(tx.conn(), ProductList::Archived, page(p))?)
            }
            ProductAction::Open { product: id } => match product(tx.conn(), id)? {
                Some(p) => products::product_card(&p),
                None => return Ok(None),
            },
            ProductAction::Add => start(tx, Flow::AddProduct(AddProduct::default()))?,
            ProductAction::Edit { product: id, field } => {
                let Some(p) = product(tx.conn(), id)? else {
                    return Ok(None);
                };
                start(
                    tx,
                    Flow::EditProduct(EditProduct {
                        product: id,
                        product_name: p.name,
                        version: p.version,
                        field,
                        value: None,
                    }),
                )?
            }
            ProductAction::Archive { product: id }
            | ProductAction::Delete { product: id }
            | ProductAction::Restore { product: id } => {
                let Some(p) = product(tx.conn(), id)? else {
                    return Ok(None);
                };
                let (name, version) = (p.name, p.version);
                let pending = match action {
                    ProductAction::Archive { .. } => Pending::ArchiveProduct {
                        product: id,
                        name,
                        version,
                    },
                    ProductAction::Delete { .. } => Pending::DeleteProduct {
                        product: id,
                        name,
                        version,
                    },
                    _ => Pending::RestoreProduct {
                        product: id,
                        name,
                        version,
                    },
                };
                start(tx, Flow::Confirm(pending))?
            }
        },
        A::Category(action) => match action {
            CategoryAction::List { page: p } => {
                products::categories(&list_categories(tx.conn())?, p)
            }
            CategoryAction::Open { category: id } => return category_card(tx, id),
            CategoryAction::Add => start(tx, Flow::AddCategory(AddCategory::default()))?,
            CategoryAction::Rename { category: id } => {
                let Some(c) = category(tx.conn(), id)? else {
                    return Ok(None);
                };
                start(
                    tx,
                    Flow::RenameCategory(RenameCategory {
                        category: id,
                        old_name: c.name,
                        version: c.version,
                        name: None,
                    }),
                )?
            }
            CategoryAction::MoveUp { category: id } | CategoryAction::MoveDown { category: id } => {
                let direction = if matches!(action, CategoryAction::MoveUp { .. }) {
                    Direction::Up
                } else {
                    Direction::Down
                };
                let seller = stored::seller(tx);
                if move_category(tx.conn(), seller, id, direction)?.is_err() {
                    return Ok(None);
                }
                return category_card(tx, id);
            }
            CategoryAction::Delete { category: id } => {
                let Some(c) = category(tx.conn(), id)? else {
                    return Ok(None);
                };
                start(
                    tx,
                    Flow::Confirm(Pending::DeleteCategory {
                        category: id,
                        name: c.name,
                    }),
                )?
            }
        },
        A::Stock(action) => match action {
            StockAction::Products { page: p } => {
                let listed = list_products(tx.conn(), ProductList::Active, page(p))?;
                let low = low_stock_products(tx.conn(), threshold)?.len();
                stock::picker_screen(&listed, threshold, low)
            }
            StockAction::Open { product: id } => {
                let Some(name) = product_name(tx, id)? else {
                    return Ok(None);
                };
                let counts = stock_counts(tx.conn(), id)?;
                stock::card(id, &name, &counts, threshold)
            }
            StockAction::Add { product: id } => {
                let Some(name) = product_name(tx, id)? else {
                    return Ok(None);
                };
                start(
                    tx,
                    Flow::AddStock(AddStock {
                        product: id,
                        product_name: name,
                        pending: None,
                    }),
                )?
            }
            StockAction::Remove { product: id } => {
                let Some(name) = product_name(tx, id)? else {
                    return Ok(None);
                };
                start(
                    tx,
                    Flow::RemoveStock(RemoveStock {
                        product: id,
                        product_name: name,
                        page: 0,
                        selected: Default::default(),
                        confirming: false,
                    }),
                )?
            }
        },
        A::Snk(action) => match action {
            SnkAction::Products { page: p } => {
                snk::picker_screen(&list_products(tx.conn(), ProductList::Active, page(p))?)
            }
            SnkAction::Open { product: id } => {
                let Some(name) = product_name(tx, id)? else {
                    return Ok(None);
                };
                let current = snk_of(tx.conn(), id)?.and_then(|(s, _)| s);
                snk::card(id, &name, current.as_deref())
            }
            SnkAction::Edit { product: id } | SnkAction::Clear { product: id } => {
                let (Some(name), Some((before, version))) =
                    (product_name(tx, id)?, snk_of(tx.conn(), id)?)
                else {
                    return Ok(None);
                };
                let flow = match (action, before) {
                    (SnkAction::Clear { .. }, Some(before)) => Flow::Confirm(Pending::ClearSnk {
                        product: id,
                        name,
                        version,
                        before,
                    }),
                    (SnkAction::Clear { .. }, None) => {
                        return screen(tx, A::Snk(SnkAction::Open { product: id }));
                    }
                    (_, before) => Flow::EditSnk(EditSnk {
                        product: id,
                        product_name: name,
                        version,
                        before,
                        text: None,
                    }),
                };
                start(tx, flow)?
            }
        },
        A::Voucher(action) => match action {
            VoucherAction::List { page: p } => vouchers::list(&list_vouchers(tx.conn(), page(p))?),
            VoucherAction::Open { voucher: id } => match voucher(tx.conn(), id)? {
                Some(v) => vouchers::card(&v, &tz),
                None => return Ok(None),
            },
            VoucherAction::Add => start(tx, Flow::AddVoucher(AddVoucher::default()))?,
            VoucherAction::Deactivate { voucher: id }
            | VoucherAction::Reactivate { voucher: id } => {
                let Some(v) = voucher(tx.conn(), id)? else {
                    return Ok(None);
                };
                let active = matches!(action, VoucherAction::Reactivate { .. });
                if active == (v.status != VoucherStatus::Inactive) {
                    // Already so (a stale card): show it as it is.
                    vouchers::card(&v, &tz)
                } else {
                    start(
                        tx,
                        Flow::Confirm(Pending::SetVoucherActive {
                            voucher: id,
                            code: v.code,
                            active,
                        }),
                    )?
                }
            }
        },
        A::Respon(action) => match action {
            ResponAction::Open { key } => respon::card(&template_for_edit(tx.conn(), key)?),
            ResponAction::Preview { key } => {
                let template = template_for_edit(tx.conn(), key)?;
                respon::sample(&template, &sample_values(tx))
            }
            ResponAction::Edit { key } => {
                let template = template_for_edit(tx.conn(), key)?;
                start(
                    tx,
                    Flow::EditTemplate(EditTemplate {
                        key,
                        version: template.version,
                        draft: None,
                    }),
                )?
            }
            ResponAction::Reset { key } => {
                let template = template_for_edit(tx.conn(), key)?;
                if template.current.is_none() {
                    respon::done(key, texts::template_already_default(key))
                } else {
                    start(
                        tx,
                        Flow::Confirm(Pending::ResetTemplate {
                            key,
                            version: template.version,
                        }),
                    )?
                }
            }
        },
    }))
}

/// The sample values template previews are filled with.
pub(super) fn sample_values(tx: &Tx<'_>) -> Values {
    let settings = &tx.services.settings;
    Values::sample(&settings.store_name, &settings.timezone, now_ms())
}

fn product_name(tx: &mut Tx<'_>, id: ProductId) -> Result<Option<String>, StoreError> {
    Ok(product(tx.conn(), id)?.map(|p| p.name))
}

fn category_card(tx: &mut Tx<'_>, id: CategoryId) -> Result<Option<Screen>, StoreError> {
    let list = list_categories(tx.conn())?;
    Ok(list
        .iter()
        .find(|c| c.id == id)
        .map(|c| products::category_card(&list, c)))
}

/// Starts `flow` (replacing any wizard) and draws its first step.
fn start(tx: &mut Tx<'_>, flow: Flow) -> Result<Screen, StoreError> {
    let wizard = Wizard::start(flow);
    stored::save(tx, &wizard, None)?;
    steps::draw(tx, &wizard, None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_starts_at_local_midnight() {
        let tz = chrono_tz::Asia::Jakarta;
        // 2026-11-30 10:15 WIB = 03:15 UTC.
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T03:15:00Z")
            .unwrap()
            .timestamp_millis();
        let midnight = chrono::DateTime::parse_from_rfc3339("2026-11-29T17:00:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(day_start(&tz, now), midnight);
        // Just after local midnight, still the same day.
        assert_eq!(day_start(&tz, midnight + 1), midnight);
        assert_eq!(day_start(&tz, midnight - 1), midnight - 86_400_000);
    }
}
