//! Typed conversation states, stored per user (see `schema::queries::conversations`) so a
//! multi-step dialog survives restarts and expires after 30 minutes.

use serde::{Deserialize, Serialize};

/// Where a user is in a dialog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Conversation {
    /// The next text or photo answers the SNK of `product_id` in `order_ref`.
    AwaitingSnkAnswer {
        order_ref: String,
        product_id: i64,
        product_name: String,
    },
    /// The catalog page last shown: typing one of its numbers opens that product.
    /// `product_ids[i]` is shown as number `first_number + i`.
    CatalogList {
        first_number: u32,
        product_ids: Vec<i64>,
    },
    /// The next text is a voucher code for the cart.
    AwaitingVoucher,
    /// The next text is a deposit amount.
    AwaitingDepositAmount,
    /// The next text is the new display name.
    AwaitingDisplayName,
    /// The next text is the WhatsApp number.
    AwaitingWhatsapp,
}

impl Conversation {
    /// Stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored state; an unreadable one (older version) counts as none.
    pub fn from_json(s: &str) -> Option<Conversation> {
        serde_json::from_str(s).ok()
    }

    /// The product behind a number typed while a catalog list is the last thing shown.
    pub fn product_at(&self, number: u32) -> Option<i64> {
        match self {
            Conversation::CatalogList {
                first_number,
                product_ids,
            } => number
                .checked_sub(*first_number)
                .and_then(|i| product_ids.get(i as usize).copied()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_ones_read_as_none() {
        let all = [
            Conversation::AwaitingSnkAnswer {
                order_ref: "INV-1".into(),
                product_id: 2,
                product_name: "Netflix".into(),
            },
            Conversation::CatalogList {
                first_number: 6,
                product_ids: vec![11, 12],
            },
            Conversation::AwaitingVoucher,
            Conversation::AwaitingDepositAmount,
            Conversation::AwaitingDisplayName,
            Conversation::AwaitingWhatsapp,
        ];
        for state in all {
            assert_eq!(Conversation::from_json(&state.to_json()), Some(state));
        }
        assert_eq!(Conversation::from_json(r#"{"state":"gone"}"#), None);
    }

    #[test]
    fn typed_numbers_map_to_the_list_shown() {
        let list = Conversation::CatalogList {
            first_number: 6,
            product_ids: vec![11, 12, 13],
        };
        assert_eq!(list.product_at(6), Some(11));
        assert_eq!(list.product_at(8), Some(13));
        assert_eq!(list.product_at(5), None);
        assert_eq!(list.product_at(9), None);
        assert_eq!(Conversation::AwaitingVoucher.product_at(1), None);
    }
}
