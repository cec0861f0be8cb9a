//! Respon Bot screens: the seller-editable texts, their previews with sample values, and
//! editing them.
//!
//! ```text
//! 💬 Respon Bot → [👋 Sambutan | 📖 Cara Order | ✅ Pembayaran Berhasil] → kartu ─┬─ ✏️ Ubah → teks (/foto) → 👁️ pratinjau → ✅ Simpan
//!                                                                              ├─ 👁️ Pratinjau
//!                                                                              └─ ♻️ Kembalikan bawaan → ✅
//! ```

use autoorder_schema::queries::admin::templates::{EditableTemplate, TemplateKey};

use super::callback::{AdminCallback, ResponAction};
use super::keyboards::{back_row, button, confirm_rows, step_row};
use super::placeholders::{Values, render};
use super::screen::Screen;
use super::texts;
use super::wizard::{EditTemplate, WizardToken};
use crate::bot::texts as customer;

/// The Respon Bot section: one button per template.
pub fn section() -> Screen {
    let mut rows: Vec<_> = TemplateKey::ALL
        .iter()
        .map(|key| {
            vec![button(
                texts::template_title(*key),
                AdminCallback::Respon(ResponAction::Open { key: *key }),
            )]
        })
        .collect();
    rows.push(back_row(AdminCallback::Menu));
    Screen::new(texts::RESPON, rows)
}

/// A template's card: its text (or that the built-in one is used), edit, preview, reset.
pub fn card(template: &EditableTemplate) -> Screen {
    let key = template.key;
    let current = template.current.as_ref();
    let mut rows = vec![vec![
        button(
            texts::BTN_EDIT_TEMPLATE,
            AdminCallback::Respon(ResponAction::Edit { key }),
        ),
        button(
            texts::BTN_PREVIEW,
            AdminCallback::Respon(ResponAction::Preview { key }),
        ),
    ]];
    if current.is_some() {
        rows.push(vec![button(
            texts::BTN_RESET,
            AdminCallback::Respon(ResponAction::Reset { key }),
        )]);
    }
    rows.push(back_row(AdminCallback::Section(
        super::callback::Section::Respon,
    )));
    Screen::new(
        texts::template_card(
            key,
            current.map(|t| t.body.as_str()),
            current.is_some_and(|t| t.photo.is_some()),
        ),
        rows,
    )
}

/// What the customer sees when no template is stored, filled with `values`.
pub fn builtin(key: TemplateKey, values: &Values) -> String {
    let name = values.nama.as_deref().unwrap_or("-");
    let store = values.store_name.as_deref().unwrap_or("-");
    match key {
        TemplateKey::Welcome => customer::welcome(name, store),
        TemplateKey::HowToOrder => customer::how_to_order(name, store),
        TemplateKey::PaymentSuccess => {
            customer::delivery_header(values.order_id.as_deref().unwrap_or("-"))
        }
        TemplateKey::DepositInstructions => texts::DEPOSIT_INSTRUCTIONS_UNSET.to_owned(),
    }
}

/// *Pratinjau* outside a wizard: the stored (or built-in) text with sample values.
pub fn sample(template: &EditableTemplate, values: &Values) -> Screen {
    let rendered = match &template.current {
        Some(t) => render(&t.body, values),
        None => builtin(template.key, values),
    };
    Screen::new(
        texts::template_sample(template.key, &rendered),
        vec![back_row(AdminCallback::Respon(ResponAction::Open {
            key: template.key,
        }))],
    )
}

/// Editing a template: the prompt, then the preview with sample values and *Simpan*.
pub fn edit_step(token: WizardToken, flow: &EditTemplate, values: &Values) -> Screen {
    match &flow.draft {
        None => Screen::new(
            texts::template_prompt(flow.key),
            vec![step_row(token, false)],
        ),
        Some(draft) => Screen::new(
            texts::template_preview(
                flow.key,
                &render(&draft.body, values),
                draft.photo.is_some(),
            ),
            confirm_rows(token, texts::BTN_SAVE, true),
        ),
    }
}

/// After a template write.
pub fn done(key: TemplateKey, note: String) -> Screen {
    Screen::new(
        note,
        vec![back_row(AdminCallback::Respon(ResponAction::Open { key }))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::wizard::DraftTemplate;
    use autoorder_schema::queries::shop::templates::Template;

    fn values() -> Values {
        Values::sample("Toko Digital", &chrono_tz::Asia::Jakarta, 1_758_244_729_000)
    }

    #[test]
    fn the_preview_renders_sample_values_before_saving() {
        let flow = EditTemplate {
            key: TemplateKey::Welcome,
            version: 1,
            draft: Some(DraftTemplate {
                body: "Halo {nama}, selamat datang di {store_name}!".into(),
                photo: None,
            }),
        };
        let screen = edit_step(WizardToken(1), &flow, &values());
        assert!(
            screen
                .text
                .contains("Halo Budi, selamat datang di Toko Digital!"),
            "{}",
            screen.text
        );
        assert_eq!(screen.callbacks(), ["@w:1:y", "@w:1:b", "@w:1:c"]);
        let prompt = edit_step(
            WizardToken(1),
            &EditTemplate {
                draft: None,
                ..flow
            },
            &values(),
        );
        assert!(prompt.text.contains("{nama}") && prompt.text.contains("{saldo}"));
    }

    #[test]
    fn deposit_instructions_have_no_built_in_text() {
        let unset = EditableTemplate {
            key: TemplateKey::DepositInstructions,
            current: None,
            version: 0,
        };
        assert!(
            card(&unset)
                .text
                .contains(texts::DEPOSIT_INSTRUCTIONS_UNSET)
        );
        assert!(
            sample(&unset, &values())
                .text
                .contains(texts::DEPOSIT_INSTRUCTIONS_UNSET)
        );
        let prompt = texts::template_prompt(TemplateKey::DepositInstructions);
        assert!(
            prompt.contains("Kirim teks baru. Teks ini tampil di layar Deposit")
                && prompt.contains("Hubungi Penjual"),
            "{prompt}"
        );
        assert!(texts::template_reset(TemplateKey::DepositInstructions).contains("dikosongkan"));
    }

    #[test]
    fn cards_offer_reset_only_for_a_stored_text() {
        let stored = EditableTemplate {
            key: TemplateKey::HowToOrder,
            current: Some(Template {
                body: "Cara: {nama}".into(),
                photo: Some("AgAC".into()),
            }),
            version: 2,
        };
        let screen = card(&stored);
        assert!(screen.callbacks().contains(&"@r:x:h".to_string()));
        assert!(screen.text.contains("Foto dengan caption"));
        let default = EditableTemplate {
            current: None,
            version: 0,
            ..stored.clone()
        };
        assert!(!card(&default).callbacks().contains(&"@r:x:h".to_string()));
        assert!(
            sample(&default, &values()).text.contains("Budi"),
            "the built-in text with the sample name"
        );
        assert!(sample(&stored, &values()).text.contains("Cara: Budi"));
    }
}
