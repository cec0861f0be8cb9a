//! Typed admin callback data: every admin button is built from [`AdminCallback::encode`] and
//! every press read back with [`AdminCallback::parse`].
//!
//! The wire form starts with [`ADMIN_PREFIX`] (`@`), a character no customer callback uses, so
//! the router tells the two apart by the first byte and the customer parser never takes an admin
//! button for one of its own. Then an area code and its arguments, `:`-separated:
//!
//! ```text
//! @m                 menu                 @s:<section>      a section
//! @b:<0|1>           Mode Pembeli off/on  @w:<token>:<act>  a button of the wizard <token>
//! @p:…  products     @c:…  categories     @k:…  stock       @n:…  SNK
//! @v:…  vouchers     @r:…  Respon Bot     @.                a label (does nothing)
//! ```
//!
//! Ids in the data are claims, checked when the press is handled (the row may be gone); wizard
//! buttons carry the token of the wizard that drew them, so a button of an earlier wizard is
//! refused as stale instead of acting on the current one. Who may press at all is the router's
//! check: admin data from anyone but a seller is answered "not allowed" and changes nothing.
//!
//! Part 2 of the admin menu (Order, User, Broadcast, Laporan) adds one nested enum per area,
//! with its own area code, the same way.

use autoorder_schema::queries::admin::templates::TemplateKey;
use autoorder_schema::queries::admin::{CategoryId, ProductId, StockItemId, VoucherId};

use super::wizard::WizardToken;
pub use crate::bot::callback::CallbackTooLong;
use crate::bot::callback::MAX_CALLBACK_BYTES;

/// First character of every admin callback.
pub const ADMIN_PREFIX: char = '@';

/// True when `data` is admin callback data (whatever follows), so the router can send it to the
/// admin handlers — or refuse it — without trying the customer parser.
pub fn is_admin_data(data: &str) -> bool {
    data.starts_with(ADMIN_PREFIX)
}

/// A section of the admin menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Products,
    Stock,
    Snk,
    Vouchers,
    Orders,
    Users,
    Broadcast,
    Respon,
    Reports,
}

impl Section {
    /// Every section, in menu order.
    pub const ALL: [Section; 9] = [
        Section::Products,
        Section::Stock,
        Section::Snk,
        Section::Vouchers,
        Section::Orders,
        Section::Users,
        Section::Broadcast,
        Section::Respon,
        Section::Reports,
    ];

    fn code(self) -> &'static str {
        match self {
            Section::Products => "p",
            Section::Stock => "k",
            Section::Snk => "n",
            Section::Vouchers => "v",
            Section::Orders => "o",
            Section::Users => "u",
            Section::Broadcast => "b",
            Section::Respon => "r",
            Section::Reports => "l",
        }
    }

    fn from_code(code: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The field of a product an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductField {
    Name,
    Price,
    Description,
    Category,
}

impl ProductField {
    /// Every field, in the order the product card shows them.
    pub const ALL: [ProductField; 4] = [
        ProductField::Name,
        ProductField::Price,
        ProductField::Description,
        ProductField::Category,
    ];

    fn code(self) -> &'static str {
        match self {
            ProductField::Name => "n",
            ProductField::Price => "p",
            ProductField::Description => "d",
            ProductField::Category => "c",
        }
    }

    fn from_code(code: &str) -> Option<ProductField> {
        ProductField::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// Product buttons (`@p:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductAction {
    /// A page of the active products.
    List { page: u32 },
    /// A page of the archived products.
    Archived { page: u32 },
    /// A product's card.
    Open { product: ProductId },
    /// Start the add-product wizard.
    Add,
    /// Start editing one field.
    Edit {
        product: ProductId,
        field: ProductField,
    },
    /// Ask to archive.
    Archive { product: ProductId },
    /// Ask to delete (offered only without orders).
    Delete { product: ProductId },
    /// Ask to restore an archived product.
    Restore { product: ProductId },
}

/// Category buttons (`@c:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryAction {
    /// A page of the categories.
    List { page: u32 },
    /// A category's card.
    Open { category: CategoryId },
    /// Start the add-category wizard.
    Add,
    /// Start renaming.
    Rename { category: CategoryId },
    /// Move one place up (at once: a reorder is undone by the opposite move).
    MoveUp { category: CategoryId },
    /// Move one place down.
    MoveDown { category: CategoryId },
    /// Ask to delete (only an empty category is deleted).
    Delete { category: CategoryId },
}

/// Stock buttons (`@k:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockAction {
    /// A page of the product picker.
    Products { page: u32 },
    /// A product's stock card.
    Open { product: ProductId },
    /// Start adding items (lines or a file).
    Add { product: ProductId },
    /// Start choosing unsold items to delete.
    Remove { product: ProductId },
}

/// SNK buttons (`@n:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnkAction {
    /// A page of the product picker.
    Products { page: u32 },
    /// A product's SNK.
    Open { product: ProductId },
    /// Start setting the text.
    Edit { product: ProductId },
    /// Ask to clear it.
    Clear { product: ProductId },
}

/// Voucher buttons (`@v:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoucherAction {
    /// A page of the vouchers.
    List { page: u32 },
    /// A voucher's card.
    Open { voucher: VoucherId },
    /// Start the create-voucher wizard.
    Add,
    /// Ask to deactivate.
    Deactivate { voucher: VoucherId },
    /// Ask to reactivate.
    Reactivate { voucher: VoucherId },
}

/// Respon Bot buttons (`@r:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponAction {
    /// A template's card (its text and what to do with it).
    Open { key: TemplateKey },
    /// Start editing it.
    Edit { key: TemplateKey },
    /// Show it filled with sample values.
    Preview { key: TemplateKey },
    /// Ask to reset it to the built-in text.
    Reset { key: TemplateKey },
}

/// What a wizard button does (`@w:<token>:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WizardAction {
    /// *Batal*: end the wizard, leaving nothing behind.
    Cancel,
    /// *Kembali*: one step back.
    Back,
    /// *Simpan* on a confirmation screen: write.
    Confirm,
    /// *Lewati* on an optional step.
    Skip,
    /// Pick a category (`None`: no category).
    PickCategory(Option<CategoryId>),
    /// *Kategori baru*: the next text names a new category.
    NewCategory,
    /// One of the step's fixed choices (voucher kind, "no limit", …), by index.
    Choose(u8),
    /// Select or unselect an item of a multi-pick list.
    Toggle(StockItemId),
    /// Another page of the step's list.
    Page(u32),
}

/// What an admin button press means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminCallback {
    /// The admin menu.
    Menu,
    /// A section of the menu.
    Section(Section),
    /// Mode Pembeli on (`true`) or off.
    BuyerMode(bool),
    /// A button of the wizard with this token.
    Wizard {
        token: WizardToken,
        action: WizardAction,
    },
    Product(ProductAction),
    Category(CategoryAction),
    Stock(StockAction),
    Snk(SnkAction),
    Voucher(VoucherAction),
    Respon(ResponAction),
    /// A button that only labels (page numbers).
    Noop,
}

/// Admin data the bot did not write (old build, forged press).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised admin callback data")]
pub struct UnknownAdminCallback;

fn template_code(key: TemplateKey) -> &'static str {
    match key {
        TemplateKey::Welcome => "w",
        TemplateKey::HowToOrder => "h",
        TemplateKey::PaymentSuccess => "s",
        TemplateKey::DepositInstructions => "d",
    }
}

fn template_from_code(code: &str) -> Option<TemplateKey> {
    TemplateKey::ALL
        .into_iter()
        .find(|k| template_code(*k) == code)
}

impl AdminCallback {
    /// The wire form.
    pub fn encode(&self) -> Result<String, CallbackTooLong> {
        let s = self.raw();
        if s.len() > MAX_CALLBACK_BYTES {
            return Err(CallbackTooLong(s.len()));
        }
        Ok(s)
    }

    /// The wire form of data the bot builds (always within 64 bytes: see
    /// [`CallbackTooLong`]); falls back to the label button should that ever not hold.
    pub fn wire(&self) -> String {
        self.encode().unwrap_or_else(|_| AdminCallback::Noop.raw())
    }

    fn raw(&self) -> String {
        use AdminCallback as A;
        match self {
            A::Menu => "@m".into(),
            A::Section(section) => format!("@s:{}", section.code()),
            A::BuyerMode(on) => format!("@b:{}", u8::from(*on)),
            A::Wizard { token, action } => {
                let action = match action {
                    WizardAction::Cancel => "c".into(),
                    WizardAction::Back => "b".into(),
                    WizardAction::Confirm => "y".into(),
                    WizardAction::Skip => "s".into(),
                    WizardAction::PickCategory(None) => "k:0".into(),
                    WizardAction::PickCategory(Some(id)) => format!("k:{id}"),
                    WizardAction::NewCategory => "kn".into(),
                    WizardAction::Choose(i) => format!("o:{i}"),
                    WizardAction::Toggle(id) => format!("t:{id}"),
                    WizardAction::Page(page) => format!("g:{page}"),
                };
                format!("@w:{}:{action}", token.0)
            }
            A::Product(action) => match action {
                ProductAction::List { page } => format!("@p:l:{page}"),
                ProductAction::Archived { page } => format!("@p:x:{page}"),
                ProductAction::Open { product } => format!("@p:o:{product}"),
                ProductAction::Add => "@p:n".into(),
                ProductAction::Edit { product, field } => {
                    format!("@p:e:{product}:{}", field.code())
                }
                ProductAction::Archive { product } => format!("@p:a:{product}"),
                ProductAction::Delete { product } => format!("@p:d:{product}"),
                ProductAction::Restore { product } => format!("@p:r:{product}"),
            },
            A::Category(action) => match action {
                CategoryAction::List { page } => format!("@c:l:{page}"),
                CategoryAction::Open { category } => format!("@c:o:{category}"),
                CategoryAction::Add => "@c:n".into(),
                CategoryAction::Rename { category } => format!("@c:e:{category}"),
                CategoryAction::MoveUp { category } => format!("@c:u:{category}"),
                CategoryAction::MoveDown { category } => format!("@c:d:{category}"),
                CategoryAction::Delete { category } => format!("@c:x:{category}"),
            },
            A::Stock(action) => match action {
                StockAction::Products { page } => format!("@k:l:{page}"),
                StockAction::Open { product } => format!("@k:o:{product}"),
                StockAction::Add { product } => format!("@k:a:{product}"),
                StockAction::Remove { product } => format!("@k:d:{product}"),
            },
            A::Snk(action) => match action {
                SnkAction::Products { page } => format!("@n:l:{page}"),
                SnkAction::Open { product } => format!("@n:o:{product}"),
                SnkAction::Edit { product } => format!("@n:e:{product}"),
                SnkAction::Clear { product } => format!("@n:x:{product}"),
            },
            A::Voucher(action) => match action {
                VoucherAction::List { page } => format!("@v:l:{page}"),
                VoucherAction::Open { voucher } => format!("@v:o:{voucher}"),
                VoucherAction::Add => "@v:n".into(),
                VoucherAction::Deactivate { voucher } => format!("@v:d:{voucher}"),
                VoucherAction::Reactivate { voucher } => format!("@v:a:{voucher}"),
            },
            A::Respon(action) => {
                let (verb, key) = match action {
                    ResponAction::Open { key } => ("o", key),
                    ResponAction::Edit { key } => ("e", key),
                    ResponAction::Preview { key } => ("p", key),
                    ResponAction::Reset { key } => ("x", key),
                };
                format!("@r:{verb}:{}", template_code(*key))
            }
            A::Noop => "@.".into(),
        }
    }

    /// Reads a press back; anything the bot would not have written is refused.
    pub fn parse(data: &str) -> Result<AdminCallback, UnknownAdminCallback> {
        use AdminCallback as A;
        if data.len() > MAX_CALLBACK_BYTES {
            return Err(UnknownAdminCallback);
        }
        let parts: Vec<&str> = data.split(':').collect();
        let parsed = match parts.as_slice() {
            ["@m"] => A::Menu,
            ["@s", code] => A::Section(Section::from_code(code).ok_or(UnknownAdminCallback)?),
            ["@b", "0"] => A::BuyerMode(false),
            ["@b", "1"] => A::BuyerMode(true),
            ["@w", token, rest @ ..] => A::Wizard {
                token: WizardToken(
                    u32::try_from(number(token)?).map_err(|_| UnknownAdminCallback)?,
                ),
                action: wizard_action(rest)?,
            },
            ["@p", rest @ ..] => A::Product(product_action(rest)?),
            ["@c", rest @ ..] => A::Category(category_action(rest)?),
            ["@k", "l", n] => A::Stock(StockAction::Products { page: page(n)? }),
            ["@k", verb, n] => {
                let product = ProductId(id(n)?);
                A::Stock(match *verb {
                    "o" => StockAction::Open { product },
                    "a" => StockAction::Add { product },
                    "d" => StockAction::Remove { product },
                    _ => return Err(UnknownAdminCallback),
                })
            }
            ["@n", "l", n] => A::Snk(SnkAction::Products { page: page(n)? }),
            ["@n", verb, n] => {
                let product = ProductId(id(n)?);
                A::Snk(match *verb {
                    "o" => SnkAction::Open { product },
                    "e" => SnkAction::Edit { product },
                    "x" => SnkAction::Clear { product },
                    _ => return Err(UnknownAdminCallback),
                })
            }
            ["@v", "n"] => A::Voucher(VoucherAction::Add),
            ["@v", verb, n] => A::Voucher(match *verb {
                "l" => VoucherAction::List { page: page(n)? },
                "o" => VoucherAction::Open {
                    voucher: VoucherId(id(n)?),
                },
                "d" => VoucherAction::Deactivate {
                    voucher: VoucherId(id(n)?),
                },
                "a" => VoucherAction::Reactivate {
                    voucher: VoucherId(id(n)?),
                },
                _ => return Err(UnknownAdminCallback),
            }),
            ["@r", verb, code] => {
                let key = template_from_code(code).ok_or(UnknownAdminCallback)?;
                A::Respon(match *verb {
                    "o" => ResponAction::Open { key },
                    "e" => ResponAction::Edit { key },
                    "p" => ResponAction::Preview { key },
                    "x" => ResponAction::Reset { key },
                    _ => return Err(UnknownAdminCallback),
                })
            }
            ["@."] => A::Noop,
            _ => return Err(UnknownAdminCallback),
        };
        Ok(parsed)
    }
}

fn wizard_action(parts: &[&str]) -> Result<WizardAction, UnknownAdminCallback> {
    Ok(match parts {
        ["c"] => WizardAction::Cancel,
        ["b"] => WizardAction::Back,
        ["y"] => WizardAction::Confirm,
        ["s"] => WizardAction::Skip,
        ["k", "0"] => WizardAction::PickCategory(None),
        ["k", n] => WizardAction::PickCategory(Some(CategoryId(id(n)?))),
        ["kn"] => WizardAction::NewCategory,
        ["o", n] => {
            WizardAction::Choose(u8::try_from(number(n)?).map_err(|_| UnknownAdminCallback)?)
        }
        ["t", n] => WizardAction::Toggle(StockItemId(id(n)?)),
        ["g", n] => WizardAction::Page(page(n)?),
        _ => return Err(UnknownAdminCallback),
    })
}

fn product_action(parts: &[&str]) -> Result<ProductAction, UnknownAdminCallback> {
    Ok(match parts {
        ["n"] => ProductAction::Add,
        ["l", n] => ProductAction::List { page: page(n)? },
        ["x", n] => ProductAction::Archived { page: page(n)? },
        ["e", n, field] => ProductAction::Edit {
            product: ProductId(id(n)?),
            field: ProductField::from_code(field).ok_or(UnknownAdminCallback)?,
        },
        [verb, n] => {
            let product = ProductId(id(n)?);
            match *verb {
                "o" => ProductAction::Open { product },
                "a" => ProductAction::Archive { product },
                "d" => ProductAction::Delete { product },
                "r" => ProductAction::Restore { product },
                _ => return Err(UnknownAdminCallback),
            }
        }
        _ => return Err(UnknownAdminCallback),
    })
}

fn category_action(parts: &[&str]) -> Result<CategoryAction, UnknownAdminCallback> {
    Ok(match parts {
        ["n"] => CategoryAction::Add,
        ["l", n] => CategoryAction::List { page: page(n)? },
        [verb, n] => {
            let category = CategoryId(id(n)?);
            match *verb {
                "o" => CategoryAction::Open { category },
                "e" => CategoryAction::Rename { category },
                "u" => CategoryAction::MoveUp { category },
                "d" => CategoryAction::MoveDown { category },
                "x" => CategoryAction::Delete { category },
                _ => return Err(UnknownAdminCallback),
            }
        }
        _ => return Err(UnknownAdminCallback),
    })
}

/// Digits only, as the bot writes numbers (no sign, no spaces, no leading `+`).
fn number(s: &str) -> Result<i64, UnknownAdminCallback> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UnknownAdminCallback);
    }
    s.parse().map_err(|_| UnknownAdminCallback)
}

/// A row id: positive.
fn id(s: &str) -> Result<i64, UnknownAdminCallback> {
    number(s).and_then(|n| {
        if n > 0 {
            Ok(n)
        } else {
            Err(UnknownAdminCallback)
        }
    })
}

/// A page number.
fn page(s: &str) -> Result<u32, UnknownAdminCallback> {
    number(s).and_then(|n| u32::try_from(n).map_err(|_| UnknownAdminCallback))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::callback::CallbackData;

    /// Every variant, with the largest values the bot can put in them.
    pub(crate) fn every_variant() -> Vec<AdminCallback> {
        use AdminCallback as A;
        let big = i64::MAX;
        let (p, c, v) = (ProductId(big), CategoryId(big), VoucherId(big));
        let token = WizardToken(u32::MAX);
        let mut all = vec![A::Menu, A::BuyerMode(false), A::BuyerMode(true), A::Noop];
        all.extend(Section::ALL.map(A::Section));
        for action in [
            WizardAction::Cancel,
            WizardAction::Back,
            WizardAction::Confirm,
            WizardAction::Skip,
            WizardAction::PickCategory(None),
            WizardAction::PickCategory(Some(c)),
            WizardAction::NewCategory,
            WizardAction::Choose(0),
            WizardAction::Choose(u8::MAX),
            WizardAction::Toggle(StockItemId(big)),
            WizardAction::Page(u32::MAX),
        ] {
            all.push(A::Wizard { token, action });
            all.push(A::Wizard {
                token: WizardToken(0),
                action,
            });
        }
        all.extend([
            A::Product(ProductAction::List { page: u32::MAX }),
            A::Product(ProductAction::Archived { page: 0 }),
            A::Product(ProductAction::Open { product: p }),
            A::Product(ProductAction::Add),
            A::Product(ProductAction::Archive { product: p }),
            A::Product(ProductAction::Delete { product: p }),
            A::Product(ProductAction::Restore { product: p }),
            A::Category(CategoryAction::List { page: 3 }),
            A::Category(CategoryAction::Open { category: c }),
            A::Category(CategoryAction::Add),
            A::Category(CategoryAction::Rename { category: c }),
            A::Category(CategoryAction::MoveUp { category: c }),
            A::Category(CategoryAction::MoveDown { category: c }),
            A::Category(CategoryAction::Delete { category: c }),
            A::Stock(StockAction::Products { page: u32::MAX }),
            A::Stock(StockAction::Open { product: p }),
            A::Stock(StockAction::Add { product: p }),
            A::Stock(StockAction::Remove { product: p }),
            A::Snk(SnkAction::Products { page: 2 }),
            A::Snk(SnkAction::Open { product: p }),
            A::Snk(SnkAction::Edit { product: p }),
            A::Snk(SnkAction::Clear { product: p }),
            A::Voucher(VoucherAction::List { page: u32::MAX }),
            A::Voucher(VoucherAction::Open { voucher: v }),
            A::Voucher(VoucherAction::Add),
            A::Voucher(VoucherAction::Deactivate { voucher: v }),
            A::Voucher(VoucherAction::Reactivate { voucher: v }),
        ]);
        all.extend(
            ProductField::ALL.map(|field| A::Product(ProductAction::Edit { product: p, field })),
        );
        for key in TemplateKey::ALL {
            all.extend([
                A::Respon(ResponAction::Open { key }),
                A::Respon(ResponAction::Edit { key }),
                A::Respon(ResponAction::Preview { key }),
                A::Respon(ResponAction::Reset { key }),
            ]);
        }
        all
    }

    #[test]
    fn every_variant_round_trips_within_64_bytes_and_is_distinct() {
        let mut wires = std::collections::HashSet::new();
        for data in every_variant() {
            let wire = data.encode().unwrap();
            assert!(wire.len() <= MAX_CALLBACK_BYTES, "{wire}");
            assert!(is_admin_data(&wire), "{wire}");
            assert_eq!(AdminCallback::parse(&wire), Ok(data), "{wire}");
            assert_eq!(data.wire(), wire);
            assert!(wires.insert(wire.clone()), "two variants share {wire}");
            // The customer parser never mistakes an admin button for one of its own.
            assert!(CallbackData::parse(&wire).is_err(), "{wire}");
        }
    }

    #[test]
    fn customer_data_is_never_admin_data() {
        for wire in [
            "cat:0",
            "prod:1",
            "add:1:2",
            "info",
            "noop",
            "esc",
            "snk:INV-1:2",
            "dep:10000",
        ] {
            assert!(CallbackData::parse(wire).is_ok(), "{wire}");
            assert!(!is_admin_data(wire), "{wire}");
            assert_eq!(
                AdminCallback::parse(wire),
                Err(UnknownAdminCallback),
                "{wire}"
            );
        }
    }

    #[test]
    fn data_it_did_not_write_is_refused() {
        for bad in [
            "",
            "@",
            "@m:1",
            "@s",
            "@s:z",
            "@b",
            "@b:2",
            "@w",
            "@w:1",
            "@w:1:z",
            "@w:-1:c",
            "@w:4294967296:c",
            "@w:1:k",
            "@w:1:k:-3",
            "@w:1:o:256",
            "@w:1:t:0",
            "@w:1:g:x",
            "@p",
            "@p:l",
            "@p:l:-1",
            "@p:o:0",
            "@p:o:+1",
            "@p:o: 1",
            "@p:e:1",
            "@p:e:1:z",
            "@p:q:1",
            "@p:n:1",
            "@c:u",
            "@c:z:1",
            "@k:o",
            "@k:z:1",
            "@k:o:0",
            "@n:e:x",
            "@v:o:0",
            "@v:q:1",
            "@r:o",
            "@r:o:z",
            "@r:z:w",
            "@x:1",
            "@.:1",
            "@p:o:99999999999999999999",
            &format!("@p:o:{}", "1".repeat(70)),
        ] {
            assert_eq!(
                AdminCallback::parse(bad),
                Err(UnknownAdminCallback),
                "{bad:?}"
            );
        }
    }
}
