//! SNK screens.
//!
//! ```text
//! 📋 SNK → [produk] → SNK produk ─┬─ ✏️ Ubah SNK → teks → sebelum/sesudah → ✅ Simpan (owner diberi tahu)
//!                                 └─ 🗑️ Hapus SNK → ✅ (owner diberi tahu)
//! ```

use autoorder_schema::queries::admin::products::ProductSummary;
use autoorder_schema::queries::admin::{Page, ProductId};

use super::callback::{AdminCallback, Section, SnkAction};
use super::keyboards::{back_row, button, confirm_rows, picker, step_row};
use super::screen::Screen;
use super::texts;
use super::wizard::{EditSnk, WizardToken};

/// A page of the SNK product picker.
pub fn picker_screen(page: &Page<ProductSummary>) -> Screen {
    let mut rows = picker(
        &page.items,
        |p| texts::snk_label(&p.name, p.has_snk),
        |p| AdminCallback::Snk(SnkAction::Open { product: p.id }),
        page.page,
        page.pages,
        |page| AdminCallback::Snk(SnkAction::Products { page }),
    );
    rows.push(back_row(AdminCallback::Menu));
    let text = if page.total == 0 {
        texts::NO_PRODUCTS
    } else {
        texts::PICK_SNK
    };
    Screen::new(text, rows)
}

/// A product's SNK, with edit and (when there is one) clear.
pub fn card(product: ProductId, name: &str, snk: Option<&str>) -> Screen {
    let mut row = vec![button(
        texts::BTN_EDIT_SNK,
        AdminCallback::Snk(SnkAction::Edit { product }),
    )];
    if snk.is_some() {
        row.push(button(
            texts::BTN_CLEAR_SNK,
            AdminCallback::Snk(SnkAction::Clear { product }),
        ));
    }
    Screen::new(
        texts::snk_card(name, snk),
        vec![row, back_row(AdminCallback::Section(Section::Snk))],
    )
}

/// Setting the SNK: the prompt, then before/after and *Simpan*.
pub fn edit_step(token: WizardToken, flow: &EditSnk) -> Screen {
    match &flow.text {
        None => Screen::new(
            texts::edit_snk_prompt(&flow.product_name),
            vec![step_row(token, false)],
        ),
        Some(text) => Screen::new(
            texts::edit_snk_confirm(&flow.product_name, flow.before.as_deref(), text),
            confirm_rows(token, texts::BTN_SAVE, true),
        ),
    }
}

/// After an SNK write.
pub fn done(product: ProductId, note: String) -> Screen {
    Screen::new(
        note,
        vec![back_row(AdminCallback::Snk(SnkAction::Open { product }))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_is_offered_only_when_there_is_an_snk() {
        assert_eq!(
            card(ProductId(3), "Netflix", None).callbacks()[..1],
            ["@n:e:3"]
        );
        let with = card(ProductId(3), "Netflix", Some("Kirim email")).callbacks();
        assert!(with.contains(&"@n:x:3".to_string()));
    }

    #[test]
    fn the_confirmation_shows_before_and_after() {
        let flow = EditSnk {
            product: ProductId(3),
            product_name: "Netflix".into(),
            version: 2,
            before: Some("Lama".into()),
            text: Some("Baru".into()),
        };
        let screen = edit_step(WizardToken(8), &flow);
        assert!(screen.text.contains("Sebelum:\nLama") && screen.text.contains("Sesudah:\nBaru"));
        assert_eq!(screen.callbacks(), ["@w:8:y", "@w:8:b", "@w:8:c"]);
    }
}
