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
}
