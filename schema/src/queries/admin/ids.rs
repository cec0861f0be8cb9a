//! Newtype ids of the rows the admin menu works on. Where ids of different tables meet (a stock
//! item of a product, a product in a category, the seller who changed them) the types keep them
//! apart; `.0` is the raw row id for queries.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A seller's Telegram user id (one of `TELEGRAM_ADMIN_IDS`).
    SellerId
);
id_type!(
    /// A row of `products`.
    ProductId
);
id_type!(
    /// A row of `categories`.
    CategoryId
);
id_type!(
    /// A row of `stock_items`.
    StockItemId
);
id_type!(
    /// A row of `vouchers`.
    VoucherId
);
