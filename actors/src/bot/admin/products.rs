//! Produk & Kategori screens: the section, the product lists (active and archived), a product's
//! card, every step of adding a product and of editing one field, and the category screens.
//!
//! ```text
//! 📦 Produk ─┬─ ➕ Tambah Produk → kode → nama → harga → deskripsi → kategori → SNK → ✅ Simpan
//!            ├─ ✏️ Kelola Produk → [produk] → kartu ─┬─ ✏️ Nama/Harga/Deskripsi/Kategori → nilai → ✅
//!            │                                      ├─ 🗄️ Arsipkan / 🗑️ Hapus (tanpa pesanan) → ✅
//!            │                                      └─ 📥 Stok · 📋 SNK
//!            ├─ 🗄️ Arsip → [produk] → kartu → ♻️ Pulihkan → ✅
//!            └─ 🗂️ Kategori → [kategori] → ✏️ Ganti Nama · ⬆️ · ⬇️ · 🗑️ Hapus ; ➕ Tambah Kategori
//! ```

use teloxide_core::types::InlineKeyboardButton;

use autoorder_schema::queries::admin::categories::CategoryInfo;
use autoorder_schema::queries::admin::products::{AdminProduct, ProductSummary};
use autoorder_schema::queries::admin::{Page, ProductId};

use super::callback::{
    AdminCallback, CategoryAction, ProductAction, ProductField, Section, SnkAction, StockAction,
    WizardAction,
};
use super::keyboards::{
    PER_PAGE, back_row, button, confirm_rows, pager, picker, step_row, wizard_button,
};
use super::screen::Screen;
use super::texts;
use super::wizard::{
    AddCategory, AddProduct, AddProductStep, CategoryChoice, EditProduct, EditValue,
    RenameCategory, WizardToken,
};
use crate::format::rupiah;

/// The Produk section.
pub fn section(active: i64, archived: i64, categories: usize) -> Screen {
    Screen::new(
        texts::products_section(active, archived, categories),
        vec![
            vec![button(
                texts::BTN_ADD_PRODUCT,
                AdminCallback::Product(ProductAction::Add),
            )],
            vec![button(
                texts::BTN_MANAGE_PRODUCTS,
                AdminCallback::Product(ProductAction::List { page: 0 }),
            )],
            vec![
                button(
                    texts::BTN_ARCHIVED,
                    AdminCallback::Product(ProductAction::Archived { page: 0 }),
                ),
                button(
                    texts::BTN_CATEGORIES,
                    AdminCallback::Category(CategoryAction::List { page: 0 }),
                ),
            ],
            back_row(AdminCallback::Menu),
        ],
    )
}

/// A page of active products.
pub fn product_list(page: &Page<ProductSummary>) -> Screen {
    let text = if page.total == 0 {
        texts::NO_PRODUCTS
    } else {
        texts::PICK_PRODUCT
    };
    let mut rows = picker(
        &page.items,
        |p| texts::product_label(&p.name, p.price, p.available),
        |p| AdminCallback::Product(ProductAction::Open { product: p.id }),
        page.page,
        page.pages,
        |page| AdminCallback::Product(ProductAction::List { page }),
    );
    rows.push(back_row(AdminCallback::Section(Section::Products)));
    Screen::new(text, rows)
}

/// A page of archived products.
pub fn archived_list(page: &Page<ProductSummary>) -> Screen {
    let text = if page.total == 0 {
        texts::NO_ARCHIVED
    } else {
        texts::PICK_ARCHIVED
    };
    let mut rows = picker(
        &page.items,
        |p| texts::product_label(&p.name, p.price, p.available),
        |p| AdminCallback::Product(ProductAction::Open { product: p.id }),
        page.page,
        page.pages,
        |page| AdminCallback::Product(ProductAction::Archived { page }),
    );
    rows.push(back_row(AdminCallback::Section(Section::Products)));
    Screen::new(text, rows)
}

/// A product's card with what can be done to it.
pub fn product_card(p: &AdminProduct) -> Screen {
    let text = texts::product_card(&texts::ProductCardFacts {
        name: &p.name,
        code: &p.code,
        price: p.price,
        category: p.category.as_ref().map(|c| c.name.as_str()),
        description: &p.description,
        has_snk: p.snk.is_some(),
        available: p.stock.available,
        reserved: p.stock.reserved,
        sold: p.stock.sold,
        orders: p.orders,
        archived: p.is_archived(),
    });
    let product = p.id;
    let edit = |field| {
        button(
            texts::btn_edit_field(field),
            AdminCallback::Product(ProductAction::Edit { product, field }),
        )
    };
    let mut rows = vec![
        vec![edit(ProductField::Name), edit(ProductField::Price)],
        vec![
            edit(ProductField::Description),
            edit(ProductField::Category),
        ],
        vec![
            button(
                texts::section_label(Section::Stock),
                AdminCallback::Stock(StockAction::Open { product }),
            ),
            button(
                texts::section_label(Section::Snk),
                AdminCallback::Snk(SnkAction::Open { product }),
            ),
        ],
    ];
    let back = if p.is_archived() {
        rows.push(vec![button(
            texts::BTN_RESTORE,
            AdminCallback::Product(ProductAction::Restore { product }),
        )]);
        AdminCallback::Product(ProductAction::Archived { page: 0 })
    } else {
        let mut row = vec![button(
            texts::BTN_ARCHIVE,
            AdminCallback::Product(ProductAction::Archive { product }),
        )];
        // Deletion is offered only where it can succeed: no order names the product.
        if p.orders == 0 {
            row.push(button(
                texts::BTN_DELETE_PRODUCT,
                AdminCallback::Product(ProductAction::Delete { product }),
            ));
        }
        rows.push(row);
        AdminCallback::Product(ProductAction::List { page: 0 })
    };
    rows.push(back_row(back));
    Screen::new(text, rows)
}

/// Category buttons of a wizard step (two per row), *Tanpa kategori*, and — when adding a
/// product — *Kategori baru*; paged with the step's own page buttons.
fn category_picker(
    token: WizardToken,
    categories: &[CategoryInfo],
    page: u32,
    offer_new: bool,
) -> Vec<Vec<InlineKeyboardButton>> {
    let per_page = PER_PAGE as usize * 2;
    let pages = categories.len().div_ceil(per_page).max(1) as u32;
    let page = page.min(pages - 1);
    let shown = categories
        .iter()
        .skip(page as usize * per_page)
        .take(per_page)
        .collect::<Vec<_>>();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = shown
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|c| wizard_button(&c.name, token, WizardAction::PickCategory(Some(c.id))))
                .collect()
        })
        .collect();
    rows.push(pager(page, pages, |page| AdminCallback::Wizard {
        token,
        action: WizardAction::Page(page),
    }));
    let mut last = vec![wizard_button(
        texts::BTN_NO_CATEGORY,
        token,
        WizardAction::PickCategory(None),
    )];
    if offer_new {
        last.push(wizard_button(
            texts::BTN_NEW_CATEGORY,
            token,
            WizardAction::NewCategory,
        ));
    }
    rows.push(last);
    rows
}

/// The current step of adding a product. `categories` and `page` are for the category step.
pub fn add_product_step(
    token: WizardToken,
    flow: &AddProduct,
    categories: &[CategoryInfo],
    page: u32,
) -> Screen {
    use AddProductStep as S;
    let d = &flow.draft;
    let first = flow.step == S::Code;
    let mut rows = Vec::new();
    let text = match flow.step {
        S::Code => texts::add_product_code(),
        S::Name => texts::add_product_name(&d.code),
        S::Price => texts::add_product_price(&d.name),
        S::Description => {
            rows.push(vec![wizard_button(
                texts::BTN_SKIP,
                token,
                WizardAction::Skip,
            )]);
            texts::add_product_description()
        }
        S::Category => {
            rows.extend(category_picker(token, categories, page, true));
            texts::add_product_category(!categories.is_empty())
        }
        S::NewCategory => texts::add_product_new_category(),
        S::Snk => {
            rows.push(vec![wizard_button(
                texts::BTN_SKIP,
                token,
                WizardAction::Skip,
            )]);
            texts::add_product_snk()
        }
        S::Confirm => {
            return Screen::new(
                texts::add_product_confirm(
                    &d.code,
                    &d.name,
                    d.price,
                    &d.description,
                    d.category.name(),
                    matches!(d.category, CategoryChoice::New { .. }),
                    d.snk.as_deref(),
                ),
                confirm_rows(token, texts::BTN_SAVE, true),
            );
        }
    };
    rows.push(step_row(token, !first));
    Screen::new(text, rows)
}

/// After a product was added: to its stock, or back to the section.
pub fn product_added(product: ProductId, name: &str, code: &str) -> Screen {
    Screen::new(
        texts::product_added(name, code),
        vec![
            vec![button(
                texts::BTN_ADD_STOCK_NOW,
                AdminCallback::Stock(StockAction::Add { product }),
            )],
            back_row(AdminCallback::Section(Section::Products)),
        ],
    )
}

/// A field's current value as the edit prompt shows it.
pub fn field_value(p: &AdminProduct, field: ProductField) -> String {
    match field {
        ProductField::Name => p.name.clone(),
        ProductField::Price => rupiah(p.price),
        ProductField::Description => p.description.clone(),
        ProductField::Category => p
            .category
            .as_ref()
            .map_or_else(String::new, |c| c.name.clone()),
    }
}

fn edit_value(value: &EditValue) -> String {
    match value {
        EditValue::Name(v) | EditValue::Description(v) => v.clone(),
        EditValue::Price(v) => rupiah(*v),
        EditValue::Category(v) => v.as_ref().map_or_else(String::new, |(_, n)| n.clone()),
    }
}

/// The current step of editing one field: the prompt (or category picker), then the
/// confirmation with before and after. `current` is [`field_value`] of the card it started from.
pub fn edit_product_step(
    token: WizardToken,
    flow: &EditProduct,
    current: &str,
    categories: &[CategoryInfo],
    page: u32,
) -> Screen {
    match &flow.value {
        None => {
            let mut rows = Vec::new();
            if flow.field == ProductField::Category {
                rows.extend(category_picker(token, categories, page, false));
            }
            rows.push(step_row(token, false));
            Screen::new(
                texts::edit_field_prompt(&flow.product_name, flow.field, current),
                rows,
            )
        }
        Some(value) => Screen::new(
            texts::edit_field_confirm(&flow.product_name, flow.field, current, &edit_value(value)),
            confirm_rows(token, texts::BTN_SAVE, true),
        ),
    }
}

/// After a write on a product: a note and the way back to its card.
pub fn product_done(product: ProductId, note: String) -> Screen {
    Screen::new(
        note,
        vec![back_row(AdminCallback::Product(ProductAction::Open {
            product,
        }))],
    )
}

/// The category list, in menu order (page of [`PER_PAGE`]).
pub fn categories(list: &[CategoryInfo], page: u32) -> Screen {
    let per_page = PER_PAGE as usize;
    let pages = list.len().div_ceil(per_page).max(1) as u32;
    let page = page.min(pages - 1);
    let start = page as usize * per_page;
    let shown: Vec<(usize, &CategoryInfo)> =
        list.iter().enumerate().skip(start).take(per_page).collect();
    let mut rows = picker(
        &shown,
        |(i, c)| texts::category_label(i + 1, &c.name, c.active_products),
        |(_, c)| AdminCallback::Category(CategoryAction::Open { category: c.id }),
        page,
        pages,
        |page| AdminCallback::Category(CategoryAction::List { page }),
    );
    rows.push(vec![button(
        texts::BTN_ADD_CATEGORY,
        AdminCallback::Category(CategoryAction::Add),
    )]);
    rows.push(back_row(AdminCallback::Section(Section::Products)));
    Screen::new(texts::categories(list.len()), rows)
}

/// A category's card: rename, move, delete (offered when empty).
pub fn category_card(list: &[CategoryInfo], category: &CategoryInfo) -> Screen {
    let position = list
        .iter()
        .position(|c| c.id == category.id)
        .map_or(0, |i| i + 1);
    let id = category.id;
    let mut moves = Vec::new();
    if position > 1 {
        moves.push(button(
            texts::BTN_MOVE_UP,
            AdminCallback::Category(CategoryAction::MoveUp { category: id }),
        ));
    }
    if position < list.len() {
        moves.push(button(
            texts::BTN_MOVE_DOWN,
            AdminCallback::Category(CategoryAction::MoveDown { category: id }),
        ));
    }
    let mut rows = vec![
        vec![button(
            texts::BTN_RENAME,
            AdminCallback::Category(CategoryAction::Rename { category: id }),
        )],
        moves,
    ];
    if category.active_products + category.archived_products == 0 {
        rows.push(vec![button(
            texts::BTN_DELETE_CATEGORY,
            AdminCallback::Category(CategoryAction::Delete { category: id }),
        )]);
    }
    let page = (position.saturating_sub(1) / PER_PAGE as usize) as u32;
    rows.push(back_row(AdminCallback::Category(CategoryAction::List {
        page,
    })));
    Screen::new(
        texts::category_card(
            &category.name,
            position,
            category.active_products,
            category.archived_products,
        ),
        rows,
    )
}

/// Adding a category: the name prompt, then the confirmation.
pub fn add_category_step(token: WizardToken, flow: &AddCategory) -> Screen {
    match &flow.name {
        None => Screen::new(texts::add_category_prompt(), vec![step_row(token, false)]),
        Some(name) => Screen::new(
            texts::add_category_confirm(name),
            confirm_rows(token, texts::BTN_SAVE, true),
        ),
    }
}

/// Renaming a category: the name prompt, then the confirmation.
pub fn rename_category_step(token: WizardToken, flow: &RenameCategory) -> Screen {
    match &flow.name {
        None => Screen::new(
            texts::rename_category_prompt(&flow.old_name),
            vec![step_row(token, false)],
        ),
        Some(name) => Screen::new(
            texts::rename_category_confirm(&flow.old_name, name),
            confirm_rows(token, texts::BTN_SAVE, true),
        ),
    }
}

/// After a write on categories: a note and the way back to the list.
pub fn categories_done(note: String) -> Screen {
    Screen::new(
        note,
        vec![back_row(AdminCallback::Category(CategoryAction::List {
            page: 0,
        }))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::CategoryId;
    use autoorder_schema::queries::admin::products::CategoryRef;
    use autoorder_schema::queries::admin::stock::StockCounts;

    fn card(orders: i64, archived: bool) -> AdminProduct {
        AdminProduct {
            id: ProductId(12),
            code: "NF1M".into(),
            name: "Netflix 1 Bulan".into(),
            price: 30_000,
            description: String::new(),
            category: Some(CategoryRef {
                id: CategoryId(3),
                name: "Streaming".into(),
            }),
            snk: None,
            archived_at: archived.then_some(1),
            version: 4,
            snk_version: 1,
            stock: StockCounts {
                available: 5,
                reserved: 1,
                sold: 9,
            },
            orders,
        }
    }

    fn categories_of(n: i64) -> Vec<CategoryInfo> {
        (1..=n)
            .map(|i| CategoryInfo {
                id: CategoryId(i),
                name: format!("Kategori {i}"),
                sort_order: i as i32,
                version: 1,
                active_products: 0,
                archived_products: 0,
            })
            .collect()
    }

    #[test]
    fn deletion_is_offered_only_without_orders_and_restore_only_when_archived() {
        let with_orders = product_card(&card(2, false)).callbacks();
        assert!(with_orders.contains(&"@p:a:12".to_string()));
        assert!(!with_orders.contains(&"@p:d:12".to_string()));
        let fresh = product_card(&card(0, false));
        assert!(fresh.callbacks().contains(&"@p:d:12".to_string()));
        assert!(fresh.text.contains("Rp 30.000") && fresh.text.contains("Streaming"));
        let archived = product_card(&card(2, true));
        assert!(archived.callbacks().contains(&"@p:r:12".to_string()));
        assert!(archived.text.contains("DIARSIPKAN"));
    }

    #[test]
    fn every_add_step_has_cancel_and_all_but_the_first_have_back() {
        let token = WizardToken(9);
        let mut flow = AddProduct::default();
        let cats = categories_of(3);
        for step in [
            AddProductStep::Code,
            AddProductStep::Name,
            AddProductStep::Price,
            AddProductStep::Description,
            AddProductStep::Category,
            AddProductStep::NewCategory,
            AddProductStep::Snk,
            AddProductStep::Confirm,
        ] {
            flow.step = step;
            let data = add_product_step(token, &flow, &cats, 0).callbacks();
            assert!(data.contains(&"@w:9:c".to_string()), "{step:?}: {data:?}");
            assert_eq!(
                data.contains(&"@w:9:b".to_string()),
                step != AddProductStep::Code,
                "{step:?}"
            );
        }
        flow.step = AddProductStep::Category;
        let data = add_product_step(token, &flow, &cats, 0).callbacks();
        for wanted in ["@w:9:k:1", "@w:9:k:3", "@w:9:k:0", "@w:9:kn"] {
            assert!(data.contains(&wanted.to_string()), "{wanted}");
        }
        flow.step = AddProductStep::Confirm;
        assert!(
            add_product_step(token, &flow, &cats, 0)
                .callbacks()
                .contains(&"@w:9:y".to_string())
        );
    }

    #[test]
    fn many_categories_are_paged_in_the_picker() {
        let cats = categories_of(40);
        let flow = AddProduct {
            step: AddProductStep::Category,
            ..AddProduct::default()
        };
        let first = add_product_step(WizardToken(1), &flow, &cats, 0).callbacks();
        assert!(first.contains(&"@w:1:k:16".to_string()));
        assert!(!first.contains(&"@w:1:k:17".to_string()));
        assert!(first.contains(&"@w:1:g:1".to_string()));
        let last = add_product_step(WizardToken(1), &flow, &cats, 99).callbacks();
        assert!(
            last.contains(&"@w:1:k:40".to_string()),
            "a page past the end shows the last"
        );
    }

    #[test]
    fn an_edit_confirms_before_and_after() {
        let flow = EditProduct {
            product: ProductId(12),
            product_name: "Netflix".into(),
            version: 4,
            field: ProductField::Price,
            value: Some(EditValue::Price(35_000)),
        };
        let screen = edit_product_step(WizardToken(2), &flow, "Rp 30.000", &[], 0);
        assert!(
            screen.text.contains("Sebelum: Rp 30.000")
                && screen.text.contains("Sesudah: Rp 35.000")
        );
        assert_eq!(screen.callbacks(), ["@w:2:y", "@w:2:b", "@w:2:c"]);
    }

    #[test]
    fn category_cards_move_only_where_they_can() {
        let mut cats = categories_of(3);
        let first = category_card(&cats, &cats[0]).callbacks();
        assert!(!first.contains(&"@c:u:1".to_string()) && first.contains(&"@c:d:1".to_string()));
        assert!(first.contains(&"@c:x:1".to_string()), "empty: deletable");
        cats[2].archived_products = 1;
        let last = category_card(&cats, &cats[2]).callbacks();
        assert!(last.contains(&"@c:u:3".to_string()) && !last.contains(&"@c:d:3".to_string()));
        assert!(
            !last.contains(&"@c:x:3".to_string()),
            "not empty: not deletable"
        );
    }
}
