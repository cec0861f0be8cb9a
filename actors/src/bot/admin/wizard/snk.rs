//! The SNK flow: the new text, then before/after and confirmation.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::ProductId;

use crate::bot::admin::input::{self, InputError};

/// Setting a product's SNK, based on the SNK version shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditSnk {
    pub product: ProductId,
    pub product_name: String,
    pub version: i64,
    pub before: Option<String>,
    /// `Some` once typed: the confirmation step (before → after).
    pub text: Option<String>,
}

impl EditSnk {
    /// The typed SNK text.
    pub fn on_text(&mut self, text: &str) -> Result<(), InputError> {
        self.text = Some(input::parse_snk(text)?);
        Ok(())
    }
}
