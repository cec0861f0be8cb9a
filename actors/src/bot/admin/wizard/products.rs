//! Produk & Kategori flows: adding a product (code → name → price → description → category →
//! SNK → confirmation), editing one field, adding and renaming a category.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::products::{NewProduct, ProductChange};
use autoorder_schema::queries::admin::{CategoryId, ProductId};

use crate::bot::admin::callback::ProductField;
use crate::bot::admin::input::{self, InputError};

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
    pub(super) fn back(&mut self) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::callback::{AdminCallback, ProductAction, Section};
    use crate::bot::admin::wizard::{Awaits, Back, Flow};

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
}
