//! Typed wizard states: where a seller is in a multi-step admin flow, stored per seller through
//! `queries::admin::wizards` (one at a time, 30 minutes, surviving restarts).
//!
//! A [`Wizard`] is a random [`WizardToken`] plus the [`Flow`] it is in. Every button a wizard
//! draws carries its token, so a press on a button of an earlier wizard is refused as stale
//! instead of acting on the current one. Each flow's step logic is here, pure: the handlers load
//! the wizard, call `on_text` / `on_skip` / `back` / …, save it, and draw the next screen. Values
//! are validated at each step with the parsers of [`super::input`]; nothing is written to the
//! shop before the flow's confirmation screen.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::products::{NewProduct, ProductChange};
use autoorder_schema::queries::admin::templates::TemplateKey;
use autoorder_schema::queries::admin::vouchers::{NewVoucher, VoucherKind};
use autoorder_schema::queries::admin::{CategoryId, ProductId, StockItemId, VoucherId};
use autoorder_schema::queries::shop::templates::Template;

use super::callback::{AdminCallback, ProductAction, ProductField, Section, StockAction};
use super::callback::{CategoryAction, ResponAction, SnkAction, VoucherAction};
use super::input::{self, DayEdge, InputError};
use super::placeholders::{self, TemplateProblem};

/// Identifies one wizard run; carried by its buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WizardToken(pub u32);

impl WizardToken {
    /// A fresh random token.
    pub fn random() -> WizardToken {
        WizardToken(rand::random())
    }
}

/// What message the current step takes (anything else gets a hint; buttons always work).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaits {
    /// Only the step's buttons.
    Buttons,
    /// A text message.
    Text,
    /// A text, or a photo with a caption.
    TextOrPhoto,
    /// A text, or a `.txt`/`.csv` document.
    TextOrDocument,
}

/// What *Kembali* did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Back {
    /// Went to the previous step.
    Stepped,
    /// This was the first step: leave the wizard for the screen it started from.
    Leave,
}

/// A seller's wizard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wizard {
    pub token: WizardToken,
    pub flow: Flow,
}

impl Wizard {
    /// A new run of `flow` with a fresh token.
    pub fn start(flow: Flow) -> Wizard {
        Wizard {
            token: WizardToken::random(),
            flow,
        }
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored wizard; one this build cannot read (an older version) counts as none.
    pub fn from_json(s: &str) -> Option<Wizard> {
        serde_json::from_str(s).ok()
    }

    /// What message the current step takes.
    pub fn awaits(&self) -> Awaits {
        self.flow.awaits()
    }
}

/// The flows, each with its own steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "flow", rename_all = "snake_case")]
pub enum Flow {
    AddProduct(AddProduct),
    EditProduct(EditProduct),
    AddCategory(AddCategory),
    RenameCategory(RenameCategory),
    AddStock(AddStock),
    RemoveStock(RemoveStock),
    EditSnk(EditSnk),
    AddVoucher(AddVoucher),
    EditTemplate(EditTemplate),
    /// A one-screen flow: a confirmation of a single write.
    Confirm(Pending),
}

impl Flow {
    /// What message the current step takes.
    pub fn awaits(&self) -> Awaits {
        match self {
            Flow::AddProduct(f) => match f.step {
                AddProductStep::Category | AddProductStep::Confirm => Awaits::Buttons,
                _ => Awaits::Text,
            },
            Flow::EditProduct(f) => match (f.field, &f.value) {
                (ProductField::Category, _) | (_, Some(_)) => Awaits::Buttons,
                _ => Awaits::Text,
            },
            Flow::AddCategory(AddCategory { name })
            | Flow::RenameCategory(RenameCategory { name, .. }) => {
                if name.is_some() {
                    Awaits::Buttons
                } else {
                    Awaits::Text
                }
            }
            Flow::AddStock(f) if f.pending.is_none() => Awaits::TextOrDocument,
            Flow::EditSnk(f) if f.text.is_none() => Awaits::Text,
            Flow::AddVoucher(f) => match f.step {
                VoucherStep::Kind | VoucherStep::Confirm => Awaits::Buttons,
                _ => Awaits::Text,
            },
            Flow::EditTemplate(f) if f.draft.is_none() => {
                if f.key.allows_photo() {
                    Awaits::TextOrPhoto
                } else {
                    Awaits::Text
                }
            }
            _ => Awaits::Buttons,
        }
    }

    /// *Kembali*: one step back, or leave when this is the first step.
    pub fn back(&mut self) -> Back {
        let stepped = match self {
            Flow::AddProduct(f) => f.back(),
            Flow::EditProduct(f) => f.value.take().is_some(),
            Flow::AddCategory(AddCategory { name })
            | Flow::RenameCategory(RenameCategory { name, .. }) => name.take().is_some(),
            Flow::AddStock(f) => f.pending.take().is_some(),
            Flow::RemoveStock(f) => std::mem::take(&mut f.confirming),
            Flow::EditSnk(f) => f.text.take().is_some(),
            Flow::AddVoucher(f) => f.back(),
            Flow::EditTemplate(f) => f.draft.take().is_some(),
            Flow::Confirm(_) => false,
        };
        if stepped { Back::Stepped } else { Back::Leave }
    }

    /// The screen the wizard was started from, shown after *Batal*, after leaving with
    /// *Kembali*, and after a successful write.
    pub fn origin(&self) -> AdminCallback {
        match self {
            Flow::AddProduct(_) => AdminCallback::Section(Section::Products),
            Flow::EditProduct(f) => {
                AdminCallback::Product(ProductAction::Open { product: f.product })
            }
            Flow::AddCategory(_) => AdminCallback::Category(CategoryAction::List { page: 0 }),
            Flow::RenameCategory(f) => AdminCallback::Category(CategoryAction::Open {
                category: f.category,
            }),
            Flow::AddStock(AddStock { product, .. })
            | Flow::RemoveStock(RemoveStock { product, .. }) => {
                AdminCallback::Stock(StockAction::Open { product: *product })
            }
            Flow::EditSnk(f) => AdminCallback::Snk(SnkAction::Open { product: f.product }),
            Flow::AddVoucher(_) => AdminCallback::Voucher(VoucherAction::List { page: 0 }),
            Flow::EditTemplate(f) => AdminCallback::Respon(ResponAction::Open { key: f.key }),
            Flow::Confirm(pending) => pending.origin(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Produk: add
// ---------------------------------------------------------------------------------------------

/// The steps of adding a product, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddProductStep {
    Code,
    Name,
    Price,
    /// Optional (*Lewati* or `-`).
    Description,
    /// Picked from buttons (or *Tanpa kategori*, or *Kategori baru*).
    Category,
    /// The name of a new category (after *Kategori baru*).
    NewCategory,
    /// Optional (*Lewati*).
    Snk,
    Confirm,
}

/// The category a new product goes in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CategoryChoice {
    #[default]
    None,
    Existing {
        id: CategoryId,
        name: String,
    },
    /// Created together with the product, on confirmation.
    New {
        name: String,
    },
}

impl CategoryChoice {
    /// The category's name, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            CategoryChoice::None => None,
            CategoryChoice::Existing { name, .. } | CategoryChoice::New { name } => Some(name),
        }
    }
}

/// What has been entered so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductDraft {
    pub code: String,
    pub name: String,
    pub price: i64,
    pub description: String,
    pub category: CategoryChoice,
    pub snk: Option<String>,
}

/// Adding a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddProduct {
    pub step: AddProductStep,
    pub draft: ProductDraft,
}

impl Default for AddProduct {
    fn default() -> Self {
        AddProduct {
            step: AddProductStep::Code,
            draft: ProductDraft::default(),
        }
    }
}

impl AddProduct {
    /// A typed answer to the current step; on success the wizard is at the next step.
    pub fn on_text(&mut self, text: &str) -> Result<(), InputError> {
        use AddProductStep as S;
        self.step = match self.step {
            S::Code => {
                self.draft.code = input::parse_code(text)?;
                S::Name
            }
            S::Name => {
                self.draft.name = input::parse_product_name(text)?;
                S::Price
            }
            S::Price => {
                self.draft.price = input::parse_price(text)?;
                S::Description
            }
            S::Description => {
                self.draft.description = input::parse_description(text)?;
                S::Category
            }
            S::NewCategory => {
                self.draft.category = CategoryChoice::New {
                    name: input::parse_category_name(text)?,
                };
                S::Snk
            }
            S::Snk => {
                self.draft.snk = Some(input::parse_snk(text)?);
                S::Confirm
            }
            step @ (S::Category | S::Confirm) => step,
        };
        Ok(())
    }

    /// *Lewati* on an optional step; false where there is nothing to skip.
    pub fn on_skip(&mut self) -> bool {
        match self.step {
            AddProductStep::Description => {
                self.draft.description.clear();
                self.step = AddProductStep::Category;
                true
            }
            AddProductStep::Snk => {
                self.draft.snk = None;
                self.step = AddProductStep::Confirm;
                true
            }
            _ => false,
        }
    }

    /// A category picked at the category step (`None`: no category); false at other steps.
    pub fn on_pick_category(&mut self, picked: Option<(CategoryId, String)>) -> bool {
        if self.step != AddProductStep::Category {
            return false;
        }
        self.draft.category = match picked {
            Some((id, name)) => CategoryChoice::Existing { id, name },
            None => CategoryChoice::None,
        };
        self.step = AddProductStep::Snk;
        true
    }

    /// *Kategori baru* at the category step; false at other steps.
    pub fn on_new_category(&mut self) -> bool {
        if self.step != AddProductStep::Category {
            return false;
        }
        self.step = AddProductStep::NewCategory;
        true
    }

    /// One step back (what was entered stays, to be shown and replaced); false on the first.
    fn back(&mut self) -> bool {
        use AddProductStep as S;
        let previous = match self.step {
            S::Code => return false,
            S::Name => S::Code,
            S::Price => S::Name,
            S::Description => S::Price,
            S::Category => S::Description,
            S::NewCategory | S::Snk => S::Category,
            S::Confirm => S::Snk,
        };
        self.step = previous;
        true
    }

    /// The product to create, given the id of its category (created first when it is new).
    pub fn to_new_product(&self, category: Option<CategoryId>) -> NewProduct {
        NewProduct {
            code: self.draft.code.clone(),
            name: self.draft.name.clone(),
            price: self.draft.price,
            description: self.draft.description.clone(),
            category,
            snk: self.draft.snk.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Produk: edit one field
// ---------------------------------------------------------------------------------------------

/// A new value for one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum EditValue {
    Name(String),
    Price(i64),
    Description(String),
    /// `None`: no category.
    Category(Option<(CategoryId, String)>),
}

/// Editing one field of a product, based on the version the card showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditProduct {
    pub product: ProductId,
    pub product_name: String,
    pub version: i64,
    pub field: ProductField,
    /// `Some` once entered: the confirmation step.
    pub value: Option<EditValue>,
}

impl EditProduct {
    /// The typed new value (name, price or description).
    pub fn on_text(&mut self, text: &str) -> Result<(), InputError> {
        self.value = Some(match self.field {
            ProductField::Name => EditValue::Name(input::parse_product_name(text)?),
            ProductField::Price => EditValue::Price(input::parse_price(text)?),
            ProductField::Description => EditValue::Description(input::parse_description(text)?),
            ProductField::Category => return Ok(()),
        });
        Ok(())
    }

    /// The picked category (category edits only); false otherwise.
    pub fn on_pick_category(&mut self, picked: Option<(CategoryId, String)>) -> bool {
        if self.field != ProductField::Category || self.value.is_some() {
            return false;
        }
        self.value = Some(EditValue::Category(picked));
        true
    }

    /// The change to save, once entered.
    pub fn change(&self) -> Option<ProductChange> {
        Some(match self.value.as_ref()? {
            EditValue::Name(v) => ProductChange::Name(v.clone()),
            EditValue::Price(v) => ProductChange::Price(*v),
            EditValue::Description(v) => ProductChange::Description(v.clone()),
            EditValue::Category(v) => ProductChange::Category(v.as_ref().map(|(id, _)| *id)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Kategori
// ---------------------------------------------------------------------------------------------

/// Adding a category: its name, then the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AddCategory {
    pub name: Option<String>,
}

/// Renaming a category, based on the version its card showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenameCategory {
    pub category: CategoryId,
    pub old_name: String,
    pub version: i64,
    pub name: Option<String>,
}

/// The typed name of a category (adding or renaming).
pub fn on_category_name(name: &mut Option<String>, text: &str) -> Result<(), InputError> {
    *name = Some(input::parse_category_name(text)?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Stok
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// SNK
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Voucher
// ---------------------------------------------------------------------------------------------

/// The steps of creating a voucher, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStep {
    Code,
    /// Percent or flat (buttons).
    Kind,
    Value,
    /// A number, or *Tanpa batas*.
    MaxUses,
    /// A date, or *Mulai sekarang*.
    ValidFrom,
    /// A date, or *Tanpa batas*.
    ValidUntil,
    Confirm,
}

/// What has been entered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherDraft {
    pub code: String,
    pub kind: VoucherKind,
    pub value: i64,
    pub max_uses: Option<i32>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

impl Default for VoucherDraft {
    fn default() -> Self {
        VoucherDraft {
            code: String::new(),
            kind: VoucherKind::Percent,
            value: 0,
            max_uses: None,
            valid_from: None,
            valid_until: None,
        }
    }
}

/// Creating a voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddVoucher {
    pub step: VoucherStep,
    pub draft: VoucherDraft,
}

impl Default for AddVoucher {
    fn default() -> Self {
        AddVoucher {
            step: VoucherStep::Code,
            draft: VoucherDraft::default(),
        }
    }
}

/// The fixed choices of the voucher steps, by the index their buttons carry.
pub mod voucher_choice {
    /// Kind step: percent.
    pub const PERCENT: u8 = 0;
    /// Kind step: flat amount.
    pub const FLAT: u8 = 1;
    /// Max-uses and until steps: no limit; from step: starting now.
    pub const NO_LIMIT: u8 = 0;
}

impl AddVoucher {
    /// A typed answer to the current step, dates read in `tz` and checked against `now`.
    pub fn on_text(&mut self, text: &str, tz: &chrono_tz::Tz, now: i64) -> Result<(), InputError> {
        use VoucherStep as S;
        self.step = match self.step {
            S::Code => {
                self.draft.code = input::parse_code(text)?;
                S::Kind
            }
            S::Value => {
                self.draft.value = input::parse_voucher_value(self.draft.kind, text)?;
                S::MaxUses
            }
            S::MaxUses => {
                self.draft.max_uses = input::parse_max_uses(text)?;
                S::ValidFrom
            }
            S::ValidFrom => {
                self.draft.valid_from = input::parse_date(text, tz, DayEdge::Start)?;
                S::ValidUntil
            }
            S::ValidUntil => {
                let until = input::parse_date(text, tz, DayEdge::End)?;
                input::check_window(self.draft.valid_from, until, now)?;
                self.draft.valid_until = until;
                S::Confirm
            }
            step @ (S::Kind | S::Confirm) => step,
        };
        Ok(())
    }

    /// A fixed choice (see [`voucher_choice`]); false where the step has no such choice.
    pub fn on_choose(&mut self, choice: u8) -> bool {
        use VoucherStep as S;
        use voucher_choice::*;
        let next = match (self.step, choice) {
            (S::Kind, PERCENT) => {
                self.draft.kind = VoucherKind::Percent;
                S::Value
            }
            (S::Kind, FLAT) => {
                self.draft.kind = VoucherKind::Flat;
                S::Value
            }
            (S::MaxUses, NO_LIMIT) => {
                self.draft.max_uses = None;
                S::ValidFrom
            }
            (S::ValidFrom, NO_LIMIT) => {
                self.draft.valid_from = None;
                S::ValidUntil
            }
            (S::ValidUntil, NO_LIMIT) => {
                self.draft.valid_until = None;
                S::Confirm
            }
            _ => return false,
        };
        self.step = next;
        true
    }

    fn back(&mut self) -> bool {
        use VoucherStep as S;
        let previous = match self.step {
            S::Code => return false,
            S::Kind => S::Code,
            S::Value => S::Kind,
            S::MaxUses => S::Value,
            S::ValidFrom => S::MaxUses,
            S::ValidUntil => S::ValidFrom,
            S::Confirm => S::ValidUntil,
        };
        self.step = previous;
        true
    }

    /// The voucher to create.
    pub fn to_new_voucher(&self) -> NewVoucher {
        NewVoucher {
            code: self.draft.code.clone(),
            kind: self.draft.kind,
            value: self.draft.value,
            max_uses: self.draft.max_uses,
            valid_from: self.draft.valid_from,
            valid_until: self.draft.valid_until,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Respon Bot
// ---------------------------------------------------------------------------------------------

/// Why a template draft was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Template(#[from] TemplateProblem),
    #[error("Teks ini tidak bisa memakai foto; kirim teks saja.")]
    PhotoNotAllowed,
}

/// Editing a template, based on the version shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditTemplate {
    pub key: TemplateKey,
    pub version: i64,
    /// `Some` once sent: the preview and confirmation step.
    pub draft: Option<DraftTemplate>,
}

/// A template as sent, waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftTemplate {
    pub body: String,
    /// A Telegram photo file id (*Cara Order* only).
    pub photo: Option<String>,
}

impl DraftTemplate {
    /// The template to save.
    pub fn to_template(&self) -> Template {
        Template {
            body: self.body.clone(),
            photo: self.photo.clone(),
        }
    }
}

impl EditTemplate {
    /// A text, or (with `photo`, *Cara Order* only) a photo whose caption is the text;
    /// placeholders and length checked.
    pub fn on_content(&mut self, text: &str, photo: Option<String>) -> Result<(), DraftError> {
        if photo.is_some() && !self.key.allows_photo() {
            return Err(DraftError::PhotoNotAllowed);
        }
        let body = text.trim().to_owned();
        placeholders::check(&body, photo.is_some())?;
        self.draft = Some(DraftTemplate { body, photo });
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// One-screen confirmations
// ---------------------------------------------------------------------------------------------

/// A single write waiting for *Ya*. Names are kept to word the confirmation; versions are what
/// the screen that offered it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Pending {
    ArchiveProduct {
        product: ProductId,
        name: String,
        version: i64,
    },
    DeleteProduct {
        product: ProductId,
        name: String,
        version: i64,
    },
    RestoreProduct {
        product: ProductId,
        name: String,
        version: i64,
    },
    DeleteCategory {
        category: CategoryId,
        name: String,
    },
    ClearSnk {
        product: ProductId,
        name: String,
        version: i64,
        before: String,
    },
    SetVoucherActive {
        voucher: VoucherId,
        code: String,
        active: bool,
    },
    ResetTemplate {
        key: TemplateKey,
        version: i64,
    },
}

impl Pending {
    fn origin(&self) -> AdminCallback {
        match self {
            Pending::ArchiveProduct { product, .. }
            | Pending::DeleteProduct { product, .. }
            | Pending::RestoreProduct { product, .. } => {
                AdminCallback::Product(ProductAction::Open { product: *product })
            }
            Pending::DeleteCategory { category, .. } => {
                AdminCallback::Category(CategoryAction::Open {
                    category: *category,
                })
            }
            Pending::ClearSnk { product, .. } => {
                AdminCallback::Snk(SnkAction::Open { product: *product })
            }
            Pending::SetVoucherActive { voucher, .. } => {
                AdminCallback::Voucher(VoucherAction::Open { voucher: *voucher })
            }
            Pending::ResetTemplate { key, .. } => {
                AdminCallback::Respon(ResponAction::Open { key: *key })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jakarta() -> chrono_tz::Tz {
        chrono_tz::Asia::Jakarta
    }

    /// One wizard of every flow and step, for the round-trip test.
    fn every_flow() -> Vec<Flow> {
        let p = ProductId(7);
        let mut flows = Vec::new();
        for step in [
            AddProductStep::Code,
            AddProductStep::Name,
            AddProductStep::Price,
            AddProductStep::Description,
            AddProductStep::Category,
            AddProductStep::NewCategory,
            AddProductStep::Snk,
            AddProductStep::Confirm,
        ] {
            flows.push(Flow::AddProduct(AddProduct {
                step,
                draft: ProductDraft {
                    code: "NF".into(),
                    name: "Netflix".into(),
                    price: 30_000,
                    description: String::new(),
                    category: CategoryChoice::New {
                        name: "Streaming".into(),
                    },
                    snk: Some("Kirim email".into()),
                },
            }));
        }
        for value in [
            None,
            Some(EditValue::Name("N".into())),
            Some(EditValue::Price(1)),
            Some(EditValue::Description(String::new())),
            Some(EditValue::Category(Some((CategoryId(2), "Game".into())))),
            Some(EditValue::Category(None)),
        ] {
            flows.push(Flow::EditProduct(EditProduct {
                product: p,
                product_name: "Netflix".into(),
                version: 3,
                field: ProductField::Price,
                value,
            }));
        }
        flows.extend([
            Flow::AddCategory(AddCategory {
                name: Some("Game".into()),
            }),
            Flow::RenameCategory(RenameCategory {
                category: CategoryId(1),
                old_name: "Gim".into(),
                version: 2,
                name: None,
            }),
            Flow::AddStock(AddStock {
                product: p,
                product_name: "Netflix".into(),
                pending: Some(PendingUpload {
                    source: UploadSource::File {
                        name: "stok.txt".into(),
                    },
                    new: 3,
                    duplicates: 1,
                    empty: 0,
                    too_long: 0,
                }),
            }),
            Flow::RemoveStock(RemoveStock {
                product: p,
                product_name: "Netflix".into(),
                page: 2,
                selected: [StockItemId(4), StockItemId(9)].into(),
                confirming: true,
            }),
            Flow::EditSnk(EditSnk {
                product: p,
                product_name: "Netflix".into(),
                version: 1,
                before: None,
                text: Some("Kirim email".into()),
            }),
            Flow::AddVoucher(AddVoucher::default()),
            Flow::EditTemplate(EditTemplate {
                key: TemplateKey::HowToOrder,
                version: 0,
                draft: Some(DraftTemplate {
                    body: "Halo {nama}".into(),
                    photo: Some("AgAC".into()),
                }),
            }),
        ]);
        flows.extend(
            [
                Pending::ArchiveProduct {
                    product: p,
                    name: "N".into(),
                    version: 1,
                },
                Pending::DeleteProduct {
                    product: p,
                    name: "N".into(),
                    version: 1,
                },
                Pending::RestoreProduct {
                    product: p,
                    name: "N".into(),
                    version: 1,
                },
                Pending::DeleteCategory {
                    category: CategoryId(1),
                    name: "G".into(),
                },
                Pending::ClearSnk {
                    product: p,
                    name: "N".into(),
                    version: 1,
                    before: "S".into(),
                },
                Pending::SetVoucherActive {
                    voucher: VoucherId(1),
                    code: "HEMAT".into(),
                    active: false,
                },
                Pending::ResetTemplate {
                    key: TemplateKey::Welcome,
                    version: 4,
                },
            ]
            .map(Flow::Confirm),
        );
        flows
    }

    #[test]
    fn every_flow_round_trips_and_unknown_ones_read_as_none() {
        for flow in every_flow() {
            let wizard = Wizard::start(flow);
            assert_eq!(Wizard::from_json(&wizard.to_json()), Some(wizard));
        }
        assert_eq!(
            Wizard::from_json(r#"{"token":1,"flow":{"flow":"gone"}}"#),
            None
        );
        assert_eq!(Wizard::from_json("not json"), None);
        let a = Wizard::start(Flow::AddVoucher(AddVoucher::default()));
        let b = Wizard::start(Flow::AddVoucher(AddVoucher::default()));
        assert_ne!(
            a.token, b.token,
            "each run has its own token (2^-32 chance of a clash)"
        );
    }

    #[test]
    fn adding_a_product_validates_every_step_and_goes_back() {
        let mut f = AddProduct::default();
        assert_eq!(Flow::AddProduct(f.clone()).awaits(), Awaits::Text);
        assert_eq!(f.on_text("n f"), Err(InputError::Code));
        assert_eq!(
            f.step,
            AddProductStep::Code,
            "a refused answer keeps the step"
        );
        f.on_text("nf1m").unwrap();
        f.on_text("Netflix 1 Bulan").unwrap();
        assert_eq!(f.on_text("tiga puluh ribu"), Err(InputError::PriceFormat));
        f.on_text("Rp 30.000").unwrap();
        assert!(!f.on_pick_category(None), "not at the category step yet");
        assert!(f.on_skip(), "description is optional");
        assert_eq!(f.step, AddProductStep::Category);
        assert_eq!(Flow::AddProduct(f.clone()).awaits(), Awaits::Buttons);
        assert!(f.on_new_category());
        f.on_text("Streaming").unwrap();
        assert_eq!(
            f.draft.category,
            CategoryChoice::New {
                name: "Streaming".into()
            }
        );
        assert_eq!(f.step, AddProductStep::Snk);
        f.on_text("Kirim email akun Anda.").unwrap();
        assert_eq!(f.step, AddProductStep::Confirm);

        let mut flow = Flow::AddProduct(f);
        for expected in [
            AddProductStep::Snk,
            AddProductStep::Category,
            AddProductStep::Description,
        ] {
            assert_eq!(flow.back(), Back::Stepped);
            let Flow::AddProduct(f) = &flow else {
                unreachable!()
            };
            assert_eq!(f.step, expected);
        }
        let Flow::AddProduct(f) = &mut flow else {
            unreachable!()
        };
        f.step = AddProductStep::Code;
        assert_eq!(flow.back(), Back::Leave);
        let Flow::AddProduct(f) = &flow else {
            unreachable!()
        };
        let new = f.to_new_product(Some(CategoryId(4)));
        assert_eq!(
            (new.code.as_str(), new.price, new.category),
            ("NF1M", 30_000, Some(CategoryId(4)))
        );
        assert_eq!(new.snk.as_deref(), Some("Kirim email akun Anda."));
        assert_eq!(flow.origin(), AdminCallback::Section(Section::Products));
    }

    #[test]
    fn editing_a_field_ends_in_one_change() {
        let mut f = EditProduct {
            product: ProductId(3),
            product_name: "Netflix".into(),
            version: 5,
            field: ProductField::Price,
            value: None,
        };
        assert_eq!(f.on_text("30.00"), Err(InputError::PriceFormat));
        assert_eq!(f.change(), None);
        f.on_text("35.000").unwrap();
        assert_eq!(f.change(), Some(ProductChange::Price(35_000)));
        assert!(!f.on_pick_category(None));
        let mut c = EditProduct {
            field: ProductField::Category,
            value: None,
            ..f.clone()
        };
        assert_eq!(Flow::EditProduct(c.clone()).awaits(), Awaits::Buttons);
        assert!(c.on_pick_category(Some((CategoryId(2), "Game".into()))));
        assert_eq!(
            c.change(),
            Some(ProductChange::Category(Some(CategoryId(2))))
        );
        let mut flow = Flow::EditProduct(c);
        assert_eq!(flow.back(), Back::Stepped);
        assert_eq!(flow.back(), Back::Leave);
        assert_eq!(
            flow.origin(),
            AdminCallback::Product(ProductAction::Open {
                product: ProductId(3)
            })
        );
    }

    #[test]
    fn creating_a_voucher_with_and_without_limits() {
        let tz = jakarta();
        let now = 1_790_000_000_000; // 2026-09-21
        let mut f = AddVoucher::default();
        f.on_text("hemat10", &tz, now).unwrap();
        assert_eq!(f.step, VoucherStep::Kind);
        assert!(!f.on_choose(7));
        assert!(f.on_choose(voucher_choice::PERCENT));
        assert_eq!(f.on_text("150", &tz, now), Err(InputError::Percent));
        f.on_text("10%", &tz, now).unwrap();
        assert!(f.on_choose(voucher_choice::NO_LIMIT), "no limit on uses");
        assert!(f.on_choose(voucher_choice::NO_LIMIT), "valid from now");
        assert_eq!(
            f.on_text("01/01/2020", &tz, now),
            Err(InputError::DateOrder)
        );
        f.on_text("31/12/2026", &tz, now).unwrap();
        assert_eq!(f.step, VoucherStep::Confirm);
        let v = f.to_new_voucher();
        assert_eq!(
            (v.code.as_str(), v.kind, v.value, v.max_uses, v.valid_from),
            ("HEMAT10", VoucherKind::Percent, 10, None, None)
        );
        assert_eq!(v.valid_until, Some(1_798_736_399_999));

        let mut g = AddVoucher::default();
        g.on_text("POTONG", &tz, now).unwrap();
        g.on_choose(voucher_choice::FLAT);
        g.on_text("Rp 5.000", &tz, now).unwrap();
        g.on_text("100", &tz, now).unwrap();
        g.on_text("01/12/2026", &tz, now).unwrap();
        assert_eq!(
            g.on_text("30/11/2026", &tz, now),
            Err(InputError::DateOrder),
            "ends before it starts"
        );
        assert!(g.on_choose(voucher_choice::NO_LIMIT));
        let v = g.to_new_voucher();
        assert_eq!(
            (v.kind, v.value, v.max_uses, v.valid_until),
            (VoucherKind::Flat, 5_000, Some(100), None)
        );
        let mut flow = Flow::AddVoucher(g);
        assert_eq!(flow.back(), Back::Stepped);
        let Flow::AddVoucher(g) = &flow else {
            unreachable!()
        };
        assert_eq!(g.step, VoucherStep::ValidUntil);
    }

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

    #[test]
    fn template_drafts_check_placeholders_and_photos() {
        let mut f = EditTemplate {
            key: TemplateKey::Welcome,
            version: 2,
            draft: None,
        };
        assert_eq!(Flow::EditTemplate(f.clone()).awaits(), Awaits::Text);
        assert!(matches!(
            f.on_content("Halo {foo}", None),
            Err(DraftError::Template(_))
        ));
        assert_eq!(
            f.on_content("Lihat", Some("AgAC".into())),
            Err(DraftError::PhotoNotAllowed)
        );
        f.on_content(" Halo {nama}, selamat datang di {store_name}! ", None)
            .unwrap();
        assert_eq!(
            f.draft.as_ref().unwrap().body,
            "Halo {nama}, selamat datang di {store_name}!"
        );
        let mut h = EditTemplate {
            key: TemplateKey::HowToOrder,
            version: 0,
            draft: None,
        };
        assert_eq!(Flow::EditTemplate(h.clone()).awaits(), Awaits::TextOrPhoto);
        h.on_content("Cara order: lihat gambar", Some("AgAC".into()))
            .unwrap();
        assert_eq!(
            h.draft.unwrap().to_template().photo.as_deref(),
            Some("AgAC")
        );
    }
}
