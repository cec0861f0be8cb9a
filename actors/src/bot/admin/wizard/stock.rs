//! Stok flows: adding items (lines or a file, checked, then confirmed; the lines themselves wait
//! sealed in the wizard's payload) and choosing unsold items to delete.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::{ProductId, StockItemId};

/// Where the lines waiting for confirmation came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UploadSource {
    /// Typed (or pasted) in a message.
    Message,
    /// An uploaded document.
    File { name: String },
}

/// What the check of an upload found; the lines themselves wait sealed in the wizard's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub source: UploadSource,
    pub new: usize,
    pub duplicates: usize,
    pub empty: usize,
    pub too_long: usize,
}

/// Adding stock to a product: lines or a file, then the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddStock {
    pub product: ProductId,
    pub product_name: String,
    pub pending: Option<PendingUpload>,
}

/// Most items one deletion may choose (keeps the state and the audit row small).
pub const MAX_STOCK_SELECTION: usize = 100;

/// Choosing unsold items of a product to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveStock {
    pub product: ProductId,
    pub product_name: String,
    /// The page of the list shown.
    pub page: u32,
    pub selected: BTreeSet<StockItemId>,
    /// The confirmation step.
    pub confirming: bool,
}

impl RemoveStock {
    /// Selects or unselects an item; false when the selection is full.
    pub fn toggle(&mut self, item: StockItemId) -> bool {
        if self.selected.remove(&item) {
            return true;
        }
        if self.selected.len() >= MAX_STOCK_SELECTION {
            return false;
        }
        self.selected.insert(item);
        true
    }

    /// *Hapus terpilih*: to the confirmation; false with nothing selected.
    pub fn confirm(&mut self) -> bool {
        self.confirming = !self.selected.is_empty();
        self.confirming
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::wizard::{Back, Flow};

    #[test]
    fn stock_selection_is_bounded_and_needs_an_item_to_confirm() {
        let mut f = RemoveStock {
            product: ProductId(1),
            product_name: "N".into(),
            page: 0,
            selected: BTreeSet::new(),
            confirming: false,
        };
        assert!(!f.confirm());
        for i in 1..=MAX_STOCK_SELECTION as i64 {
            assert!(f.toggle(StockItemId(i)));
        }
        assert!(!f.toggle(StockItemId(1_000)), "full");
        assert!(f.toggle(StockItemId(1)), "unselecting always works");
        assert!(f.toggle(StockItemId(1_000)));
        assert!(f.confirm());
        let mut flow = Flow::RemoveStock(f);
        assert_eq!(flow.back(), Back::Stepped);
        assert_eq!(flow.back(), Back::Leave);
    }
}
