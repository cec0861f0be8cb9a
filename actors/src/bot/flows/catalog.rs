//! *Semua Produk* (paged catalog; a typed number opens a product), *Cek Stok* with *Refresh*,
//! and the product page with its quantity presets.

use autoorder_schema::queries::orders::product_name;
use autoorder_schema::queries::shop::carts::{CartChange, set_cart_quantity};
use autoorder_schema::queries::shop::products::{Listing, catalog, product_detail, stock_table};

use autoorder_schema::StoreError;

use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::conversation::Conversation;
use crate::bot::keyboards::{button, inline, pager};
use crate::bot::texts;

/// Products per catalog page.
pub const PAGE_SIZE: usize = 5;
/// The quantity buttons on a product page.
pub const QUANTITY_PRESETS: [i32; 4] = [1, 2, 5, 10];

/// How many pages `items` fill.
pub fn page_count(items: usize, per_page: usize) -> u32 {
    items.div_ceil(per_page).max(1) as u32
}

/// The catalog page text, its product buttons and the numbers shown.
fn render_page(listings: &[Listing], page: u32) -> (String, Vec<(u32, &Listing)>) {
    let pages = page_count(listings.len(), PAGE_SIZE);
    let start = page as usize * PAGE_SIZE;
    let shown: Vec<(u32, &Listing)> = listings
        .iter()
        .enumerate()
        .skip(start)
        .take(PAGE_SIZE)
        .map(|(i, l)| (i as u32 + 1, l))
        .collect();
    let mut text = texts::catalog_header(page, pages);
    let mut category: Option<&Option<String>> = None;
    for (number, listing) in &shown {
        if category != Some(&listing.category) {
            if let Some(name) = &listing.category {
                text.push_str(&texts::catalog_category(name));
            }
            category = Some(&listing.category);
        }
        text.push_str(&texts::catalog_entry(
            *number,
            &listing.name,
            listing.price,
            listing.stock,
            listing.sold,
        ));
    }
    text.push_str(texts::CATALOG_FOOTER);
    (text, shown)
}

/// One catalog page (clamped to the last page). Remembers the numbers shown so a typed number
/// opens its product. With two or more categories, their buttons come first (each opens a page
/// of that category's products).
pub fn show_catalog(tx: &mut Tx<'_>, page: u32) -> Result<(), StoreError> {
    let listings = catalog(tx.conn())?;
    if listings.is_empty() {
        let keyboard = inline(vec![vec![button(
            texts::BTN_VIEW_CART,
            CallbackData::ViewCart,
        )]]);
        tx.show(texts::CATALOG_EMPTY, keyboard);
        return Ok(());
    }
    let categories = categories_for_sale(tx, &listings)?;
    let mut top: Vec<Vec<_>> = Vec::new();
    if categories.len() >= 2 {
        top = categories
            .chunks(2)
            .map(|pair| {
                pair.iter()
                    .map(|(id, name, n)| {
                        button(
                            texts::btn_category(name, *n),
                            CallbackData::CategoryPage {
                                category_id: *id,
                                page: 0,
                            },
                        )
                    })
                    .collect()
            })
            .collect();
    }
    show_page(tx, &listings, page, top, Vec::new(), |page| {
        CallbackData::CatalogPage { page }
    })
}

/// One page of a category's products; the whole catalog when the category is gone or has
/// nothing for sale any more.
pub fn show_category(tx: &mut Tx<'_>, category_id: i64, page: u32) -> Result<(), StoreError> {
    let Some(info) = autoorder_schema::queries::admin::categories::category(
        tx.conn(),
        autoorder_schema::queries::admin::CategoryId(category_id),
    )?
    else {
        return show_catalog(tx, 0);
    };
    let listings: Vec<Listing> = catalog(tx.conn())?
        .into_iter()
        .filter(|l| l.category.as_deref() == Some(info.name.as_str()))
        .collect();
    if listings.is_empty() {
        return show_catalog(tx, 0);
    }
    let back = vec![vec![button(
        texts::BTN_ALL_PRODUCTS,
        CallbackData::CatalogPage { page: 0 },
    )]];
    show_page(tx, &listings, page, Vec::new(), back, move |page| {
        CallbackData::CategoryPage { category_id, page }
    })
}

/// The categories with products for sale, in menu order: (id, name, products).
fn categories_for_sale(
    tx: &mut Tx<'_>,
    listings: &[Listing],
) -> Result<Vec<(i64, String, usize)>, StoreError> {
    let all = autoorder_schema::queries::admin::categories::list_categories(tx.conn())?;
    Ok(all
        .into_iter()
        .filter_map(|c| {
            let n = listings
                .iter()
                .filter(|l| l.category.as_deref() == Some(c.name.as_str()))
                .count();
            (n > 0).then_some((c.id.0, c.name, n))
        })
        .collect())
}

/// A page of `listings` with its product buttons, `top` rows above them, `bottom` rows above
/// the cart button, and the pager; remembers the numbers shown.
fn show_page(
    tx: &mut Tx<'_>,
    listings: &[Listing],
    page: u32,
    top: Vec<Vec<teloxide_core::types::InlineKeyboardButton>>,
    bottom: Vec<Vec<teloxide_core::types::InlineKeyboardButton>>,
    to_page: impl Fn(u32) -> CallbackData,
) -> Result<(), StoreError> {
    let pages = page_count(listings.len(), PAGE_SIZE);
    let page = page.min(pages - 1);
    let (text, shown) = render_page(listings, page);
    let mut rows = top;
    rows.extend(shown.iter().map(|(number, l)| {
        vec![button(
            texts::btn_product(*number, &l.name),
            CallbackData::Product { product_id: l.id },
        )]
    }));
    rows.push(pager(page, pages, to_page));
    rows.extend(bottom);
    rows.push(vec![button(texts::BTN_VIEW_CART, CallbackData::ViewCart)]);
    let state = Conversation::CatalogList {
        first_number: shown.first().map(|(n, _)| *n).unwrap_or(1),
        product_ids: shown.iter().map(|(_, l)| l.id).collect(),
    };
    tx.set_state(state)?;
    tx.show(text, inline(rows));
    Ok(())
}

/// A number typed while a catalog list is the last thing shown.
pub fn typed_number(
    tx: &mut Tx<'_>,
    state: Option<&Conversation>,
    number: u32,
) -> Result<(), StoreError> {
    match state {
        Some(list @ Conversation::CatalogList { .. }) => match list.product_at(number) {
            Some(product_id) => {
                if !show_product(tx, product_id)? {
                    tx.send(texts::PRODUCT_GONE);
                }
            }
            None => tx.send(texts::number_not_in_list(number)),
        },
        _ => tx.send(texts::NO_LIST_FOR_NUMBER),
    }
    Ok(())
}

/// *Cek Stok*: every active product with its stock, stamped with the local time; *Refresh*
/// edits the same message.
pub fn show_stock(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let rows = stock_table(tx.conn())?;
    let mut text = texts::stock_header(&tx.local_time(autoorder_schema::now_ms()));
    if rows.is_empty() {
        text.push_str(texts::STOCK_EMPTY);
    }
    for row in &rows {
        text.push_str(&texts::stock_row(&row.name, row.stock));
    }
    let keyboard = inline(vec![vec![button(
        texts::BTN_REFRESH,
        CallbackData::RefreshStock,
    )]]);
    tx.show(text, keyboard);
    Ok(())
}

/// A product's page as a new message; false when it is not for sale.
pub fn show_product(tx: &mut Tx<'_>, product_id: i64) -> Result<bool, StoreError> {
    let Some(detail) = product_detail(tx.conn(), product_id)? else {
        return Ok(false);
    };
    let l = &detail.listing;
    let text = texts::product_detail(
        &l.name,
        l.category.as_deref(),
        &detail.description,
        l.price,
        l.stock,
        l.sold,
    );
    let mut rows = Vec::new();
    if l.stock > 0 {
        rows.push(
            QUANTITY_PRESETS
                .iter()
                .map(|q| {
                    button(
                        texts::btn_quantity(*q),
                        CallbackData::AddToCart {
                            product_id,
                            quantity: *q,
                        },
                    )
                })
                .collect(),
        );
    }
    rows.push(vec![button(texts::BTN_VIEW_CART, CallbackData::ViewCart)]);
    rows.push(vec![button(
        texts::BTN_BACK_TO_CATALOG,
        CallbackData::CatalogPage { page: 0 },
    )]);
    tx.send_with(text, inline(rows));
    Ok(true)
}

/// A quantity preset: sets the product's quantity in the cart, capped at the stock.
pub fn add_to_cart(tx: &mut Tx<'_>, product_id: i64, quantity: i32) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let change = set_cart_quantity(tx.conn(), user_id, product_id, quantity)?;
    let name = product_name(tx.conn(), product_id)?;
    let name = name.unwrap_or_default();
    let next = || {
        inline(vec![
            vec![button(texts::BTN_VIEW_CART, CallbackData::ViewCart)],
            vec![button(
                texts::BTN_CONTINUE_SHOPPING,
                CallbackData::CatalogPage { page: 0 },
            )],
        ])
    };
    Ok(match change {
        CartChange::Set(n) => {
            tx.send_with(texts::added_to_cart(&name, n), next());
            Toast::note(texts::added_to_cart(&name, n))
        }
        CartChange::Capped(n) => {
            let text = texts::added_to_cart_capped(&name, n);
            tx.send_with(text.clone(), next());
            Toast::alert(text)
        }
        CartChange::OutOfStock => Toast::alert(texts::out_of_stock(&name)),
        CartChange::Unavailable | CartChange::Removed => Toast::alert(texts::PRODUCT_GONE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(id: i64, category: Option<&str>) -> Listing {
        Listing {
            id,
            code: format!("P{id}"),
            name: format!("Produk {id}"),
            price: 10_000 * id,
            stock: id,
            sold: 0,
            category: category.map(String::from),
        }
    }

    #[test]
    fn pages_number_entries_across_the_whole_list() {
        assert_eq!(page_count(0, 5), 1);
        assert_eq!(page_count(5, 5), 1);
        assert_eq!(page_count(6, 5), 2);
        let all: Vec<Listing> = (1..=7)
            .map(|i| listing(i, (i <= 3).then_some("Streaming")))
            .collect();
        let (text, shown) = render_page(&all, 1);
        assert_eq!(
            shown.iter().map(|(n, l)| (*n, l.id)).collect::<Vec<_>>(),
            vec![(6, 6), (7, 7)]
        );
        assert!(text.contains("halaman 2/2"), "{text}");
        assert!(text.contains("6. Produk 6"), "{text}");
        assert!(text.contains("Rp 60.000"), "{text}");
        let (first, _) = render_page(&all, 0);
        assert!(first.contains("Streaming"), "{first}");
    }
}
