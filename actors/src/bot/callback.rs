//! Typed callback data. Telegram gives a button at most 64 bytes of `callback_data`; every
//! button the bot sends is built from [`CallbackData::encode`] and every press is read back with
//! [`CallbackData::parse`], so there is no stringly-typed matching anywhere else.
//!
//! Ids in the data are only claims: whoever handles a press checks that the order or payment
//! it names belongs to the user who pressed.

/// Telegram's limit on `callback_data`.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// Largest quantity a cart button may carry (the presets are 1, 2, 5 and 10).
pub const MAX_BUTTON_QUANTITY: i32 = 100;

/// What a button press means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackData {
    /// "Penuhi SNK": answer the terms of a product bought in an order.
    SnkFulfil { order_ref: String, product_id: i64 },
    /// *INFORMASI* under the welcome: the account page.
    Info,
    /// *Cara Order* under the welcome.
    HowToOrder,
    /// A page of the catalog (0-based).
    CatalogPage { page: u32 },
    /// A page of one category's products (the catalog's category buttons, two or more
    /// categories).
    CategoryPage { category_id: i64, page: u32 },
    /// A product's page.
    Product { product_id: i64 },
    /// Put `quantity` of a product in the cart (capped at stock).
    AddToCart { product_id: i64, quantity: i32 },
    /// *Lihat Keranjang*.
    ViewCart,
    /// ➕ on a cart line.
    CartIncrease { product_id: i64 },
    /// ➖ on a cart line.
    CartDecrease { product_id: i64 },
    /// 🗑 on a cart line.
    CartRemove { product_id: i64 },
    /// *Gunakan Voucher*: the next text is the code.
    UseVoucher,
    /// Drop the voucher from the cart.
    RemoveVoucher,
    /// *Lanjut ke Pembayaran*: the payment choice.
    Checkout,
    /// *Batal* under the cart: empties it.
    ClearCart,
    /// Pay the cart by QRIS.
    PayQris,
    /// Pay the cart from the balance.
    PayBalance,
    /// *Batalkan* on the payment choice (the cart stays).
    PayAbort,
    /// *Cek Status Pembayaran* on an invoice.
    CheckPayment { payment_id: i64 },
    /// *Batalkan* on an invoice.
    CancelPayment { payment_id: i64 },
    /// A page of *Pesanan Saya* (0-based).
    OrdersPage { page: u32 },
    /// One order of *Pesanan Saya*.
    Order { order_id: i64 },
    /// *Kirim Ulang*: re-send a paid order's items.
    Resend { order_id: i64 },
    /// *Refresh* under *Cek Stok*.
    RefreshStock,
    /// The deposit menu.
    DepositMenu,
    /// A deposit preset.
    Deposit { amount: i64 },
    /// *Nominal Lain*: the next text is the amount.
    DepositOther,
    /// Change the display name: the next text is the name.
    EditName,
    /// Change the WhatsApp number: the next text is the number.
    EditWhatsapp,
    /// *Batal* under a prompt for text: ends the dialog.
    CancelInput,
    /// A button that only labels (page numbers).
    Noop,
}

/// Encoded data that would not fit Telegram's 64 bytes (the customer's and the admin menu's
/// callback data alike).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("callback data of {0} bytes exceeds {MAX_CALLBACK_BYTES}")]
pub struct CallbackTooLong(pub usize);

/// A press whose data the bot did not write (old keyboard, forged press).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised callback data")]
pub struct UnknownCallback;

impl CallbackData {
    /// The wire form. Errors when it would exceed Telegram's 64 bytes.
    pub fn encode(&self) -> Result<String, CallbackTooLong> {
        use CallbackData as C;
        let s = match self {
            C::SnkFulfil {
                order_ref,
                product_id,
            } => format!("snk:{order_ref}:{product_id}"),
            C::Info => "info".into(),
            C::HowToOrder => "howto".into(),
            C::CatalogPage { page } => format!("cat:{page}"),
            C::CategoryPage { category_id, page } => format!("catg:{category_id}:{page}"),
            C::Product { product_id } => format!("prod:{product_id}"),
            C::AddToCart {
                product_id,
                quantity,
            } => format!("add:{product_id}:{quantity}"),
            C::ViewCart => "cart".into(),
            C::CartIncrease { product_id } => format!("inc:{product_id}"),
            C::CartDecrease { product_id } => format!("dec:{product_id}"),
            C::CartRemove { product_id } => format!("rm:{product_id}"),
            C::UseVoucher => "vch".into(),
            C::RemoveVoucher => "vchx".into(),
            C::Checkout => "chk".into(),
            C::ClearCart => "clr".into(),
            C::PayQris => "payq".into(),
            C::PayBalance => "payb".into(),
            C::PayAbort => "payx".into(),
            C::CheckPayment { payment_id } => format!("pst:{payment_id}"),
            C::CancelPayment { payment_id } => format!("pcx:{payment_id}"),
            C::OrdersPage { page } => format!("ords:{page}"),
            C::Order { order_id } => format!("ord:{order_id}"),
            C::Resend { order_id } => format!("rsd:{order_id}"),
            C::RefreshStock => "stk".into(),
            C::DepositMenu => "dep".into(),
            C::Deposit { amount } => format!("dep:{amount}"),
            C::DepositOther => "depx".into(),
            C::EditName => "ename".into(),
            C::EditWhatsapp => "ewa".into(),
            C::CancelInput => "esc".into(),
            C::Noop => "noop".into(),
        };
        if s.len() > MAX_CALLBACK_BYTES {
            return Err(CallbackTooLong(s.len()));
        }
        Ok(s)
    }

    /// The wire form of data the bot builds itself, which always fits (only
    /// [`CallbackData::SnkFulfil`] carries free text, and it is built by the queue).
    pub fn wire(&self) -> String {
        self.encode().unwrap_or_else(|_| "noop".into())
    }

    /// Reads a press back.
    pub fn parse(data: &str) -> Result<CallbackData, UnknownCallback> {
        use CallbackData as C;
        if data.len() > MAX_CALLBACK_BYTES {
            return Err(UnknownCallback);
        }
        let parts: Vec<&str> = data.split(':').collect();
        let parsed = match parts.as_slice() {
            ["snk", order_ref, product_id] if valid_ref(order_ref) => C::SnkFulfil {
                order_ref: order_ref.to_string(),
                product_id: id(product_id)?,
            },
            ["info"] => C::Info,
            ["howto"] => C::HowToOrder,
            ["cat", page] => C::CatalogPage {
                page: page_no(page)?,
            },
            ["catg", category_id, page] => C::CategoryPage {
                category_id: id(category_id)?,
                page: page_no(page)?,
            },
            ["prod", product_id] => C::Product {
                product_id: id(product_id)?,
            },
            ["add", product_id, quantity] => {
                let quantity = number(quantity)?;
                if !(1..=i64::from(MAX_BUTTON_QUANTITY)).contains(&quantity) {
                    return Err(UnknownCallback);
                }
                C::AddToCart {
                    product_id: id(product_id)?,
                    quantity: quantity as i32,
                }
            }
            ["cart"] => C::ViewCart,
            ["inc", product_id] => C::CartIncrease {
                product_id: id(product_id)?,
            },
            ["dec", product_id] => C::CartDecrease {
                product_id: id(product_id)?,
            },
            ["rm", product_id] => C::CartRemove {
                product_id: id(product_id)?,
            },
            ["vch"] => C::UseVoucher,
            ["vchx"] => C::RemoveVoucher,
            ["chk"] => C::Checkout,
            ["clr"] => C::ClearCart,
            ["payq"] => C::PayQris,
            ["payb"] => C::PayBalance,
            ["payx"] => C::PayAbort,
            ["pst", payment_id] => C::CheckPayment {
                payment_id: id(payment_id)?,
            },
            ["pcx", payment_id] => C::CancelPayment {
                payment_id: id(payment_id)?,
            },
            ["ords", page] => C::OrdersPage {
                page: page_no(page)?,
            },
            ["ord", order_id] => C::Order {
                order_id: id(order_id)?,
            },
            ["rsd", order_id] => C::Resend {
                order_id: id(order_id)?,
            },
            ["stk"] => C::RefreshStock,
            ["dep"] => C::DepositMenu,
            ["dep", amount] => C::Deposit {
                amount: id(amount)?,
            },
            ["depx"] => C::DepositOther,
            ["ename"] => C::EditName,
            ["ewa"] => C::EditWhatsapp,
            ["esc"] => C::CancelInput,
            ["noop"] => C::Noop,
            _ => return Err(UnknownCallback),
        };
        Ok(parsed)
    }
}

/// Digits only (no sign, no spaces), as the bot writes numbers.
fn number(s: &str) -> Result<i64, UnknownCallback> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UnknownCallback);
    }
    s.parse().map_err(|_| UnknownCallback)
}

/// A row id: positive.
fn id(s: &str) -> Result<i64, UnknownCallback> {
    number(s).and_then(|n| if n > 0 { Ok(n) } else { Err(UnknownCallback) })
}

fn page_no(s: &str) -> Result<u32, UnknownCallback> {
    number(s).and_then(|n| u32::try_from(n).map_err(|_| UnknownCallback))
}

fn valid_ref(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant, with the largest values the bot can put in them.
    fn every_variant() -> Vec<CallbackData> {
        use CallbackData as C;
        let big = i64::MAX / 10;
        vec![
            C::SnkFulfil {
                order_ref: "INV-20261121-000042".into(),
                product_id: 7,
            },
            C::SnkFulfil {
                order_ref: "INV-20261121-ABCDEF-99".into(),
                product_id: big,
            },
            C::Info,
            C::HowToOrder,
            C::CatalogPage { page: 0 },
            C::CatalogPage { page: u32::MAX },
            C::CategoryPage {
                category_id: big,
                page: u32::MAX,
            },
            C::Product { product_id: big },
            C::AddToCart {
                product_id: big,
                quantity: MAX_BUTTON_QUANTITY,
            },
            C::AddToCart {
                product_id: 3,
                quantity: 1,
            },
            C::ViewCart,
            C::CartIncrease { product_id: big },
            C::CartDecrease { product_id: big },
            C::CartRemove { product_id: big },
            C::UseVoucher,
            C::RemoveVoucher,
            C::Checkout,
            C::ClearCart,
            C::PayQris,
            C::PayBalance,
            C::PayAbort,
            C::CheckPayment { payment_id: big },
            C::CancelPayment { payment_id: big },
            C::OrdersPage { page: 12 },
            C::Order { order_id: big },
            C::Resend { order_id: big },
            C::RefreshStock,
            C::DepositMenu,
            C::Deposit { amount: 10_000_000 },
            C::DepositOther,
            C::EditName,
            C::EditWhatsapp,
            C::CancelInput,
            C::Noop,
        ]
    }

    #[test]
    fn round_trips_and_rejects_what_it_did_not_write() {
        let all = every_variant();
        let mut wires = std::collections::HashSet::new();
        for data in all {
            let wire = data.encode().unwrap();
            assert!(wire.len() <= MAX_CALLBACK_BYTES, "{wire}");
            assert_eq!(CallbackData::parse(&wire).unwrap(), data, "{wire}");
            assert_eq!(data.wire(), wire);
            assert!(wires.insert(wire.clone()), "two variants share {wire}");
        }
        for bad in [
            "",
            "snk",
            "snk:INV:x",
            "snk:INV:1:2",
            "snk::1",
            "snk:IN V:1",
            "other:1",
            "prod:",
            "prod:-1",
            "prod:+1",
            "prod:0",
            "prod:1:2",
            "prod: 1",
            "add:1:0",
            "add:1:101",
            "add:1",
            "cat:-1",
            "cat:99999999999",
            "pst:abc",
            "pst:99999999999999999999",
            "cart:1",
            "INFO",
            &"x".repeat(65),
        ] {
            assert_eq!(CallbackData::parse(bad), Err(UnknownCallback), "{bad}");
        }
        let long = CallbackData::SnkFulfil {
            order_ref: "X".repeat(60),
            product_id: 1,
        };
        assert!(long.encode().is_err());
    }
}
