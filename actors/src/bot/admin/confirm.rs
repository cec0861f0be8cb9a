//! The one-screen confirmations ([`Pending`]): archive / delete / restore a product, delete a
//! category, clear an SNK, switch a voucher, reset a template. *Ya* writes; *Batal* leaves
//! nothing behind.

use super::keyboards::confirm_rows;
use super::screen::Screen;
use super::texts;
use super::wizard::{Pending, WizardToken};

/// Facts a confirmation shows that the pending action does not carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingFacts {
    /// Unsold items that a product deletion takes with it.
    pub available: i64,
}

/// The confirmation screen of `pending`.
pub fn pending(token: WizardToken, pending: &Pending, facts: PendingFacts) -> Screen {
    let text = match pending {
        Pending::ArchiveProduct { name, .. } => texts::archive_confirm(name),
        Pending::DeleteProduct { name, .. } => texts::delete_confirm(name, facts.available),
        Pending::RestoreProduct { name, .. } => texts::restore_confirm(name),
        Pending::DeleteCategory { name, .. } => texts::delete_category_confirm(name),
        Pending::ClearSnk { name, before, .. } => texts::clear_snk_confirm(name, before),
        Pending::SetVoucherActive { code, active, .. } => {
            texts::voucher_switch_confirm(code, *active)
        }
        Pending::ResetTemplate { key, .. } => texts::template_reset_confirm(*key),
    };
    Screen::new(text, confirm_rows(token, texts::BTN_YES, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::ProductId;

    #[test]
    fn confirmations_offer_yes_and_cancel_of_their_wizard() {
        let screen = pending(
            WizardToken(5),
            &Pending::DeleteProduct {
                product: ProductId(1),
                name: "Netflix".into(),
                version: 2,
            },
            PendingFacts { available: 4 },
        );
        assert!(screen.text.contains("Netflix") && screen.text.contains("4 item"));
        assert_eq!(screen.callbacks(), ["@w:5:y", "@w:5:c"]);
    }
}
