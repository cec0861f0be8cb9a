//! Typed wizard states: where a seller is in a multi-step admin flow, stored per seller through
//! `queries::admin::wizards` (one at a time, 30 minutes, surviving restarts).
//!
//! A [`Wizard`] is a random [`WizardToken`] plus the [`Flow`] it is in. Every button a wizard
//! draws carries its token, so a press on a button of an earlier wizard is refused as stale
//! instead of acting on the current one. Each flow's step logic is here, pure: the handlers load
//! the wizard, call `on_text` / `on_skip` / `back` / …, save it, and draw the next screen. Values
//! are validated at each step with the parsers of [`super::input`]; nothing is written to the
//! shop before the flow's confirmation screen.
//!
//! Layout: the wizard, its token and [`Flow`] here; the steps of each area's flows in one private
//! submodule per area (`products` with categories, `stock`, `snk`, `vouchers`, `respon`, and
//! `pending` for one-screen confirmations), re-exported here.

mod part2;
mod pending;
mod products;
mod respon;
mod snk;
mod stock;
mod vouchers;

pub use part2::{BroadcastDraft, DraftBody, Part2Flow};
pub use pending::*;
pub use products::*;
pub use respon::*;
pub use snk::*;
pub use stock::*;
pub use vouchers::*;

use serde::{Deserialize, Serialize};

use super::callback::{
    AdminCallback, CategoryAction, ProductAction, ProductField, ResponAction, Section, SnkAction,
    StockAction, VoucherAction,
};

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
    /// Part 2's flows (Order, User): see [`Part2Flow`].
    Part2(Part2Flow),
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
            Flow::Part2(f) => f.awaits(),
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
            Flow::Part2(f) => return f.back(),
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
            Flow::Part2(Part2Flow::MarkPaid { .. }) => AdminCallback::Section(Section::Orders),
            Flow::Part2(Part2Flow::Broadcast(_)) => AdminCallback::Section(Section::Broadcast),
            Flow::Part2(_) => AdminCallback::Section(Section::Users),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::templates::TemplateKey;
    use autoorder_schema::queries::admin::{CategoryId, ProductId, StockItemId, VoucherId};

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
        flows.extend([
            Flow::Part2(Part2Flow::MarkPaid {
                order_id: 3,
                note: Some("transfer BCA".into()),
            }),
            Flow::Part2(Part2Flow::SearchUsers { query: None }),
            Flow::Part2(Part2Flow::Broadcast(BroadcastDraft {
                body: Some(DraftBody::Copy {
                    from_chat_id: 7,
                    message_id: 9,
                }),
                audience: Some(
                    autoorder_schema::queries::broadcasts::Audience::ActiveWithin { days: 7 },
                ),
                asking_days: true,
            })),
            Flow::Part2(Part2Flow::BlockUser {
                user_id: 5,
                name: "Budi".into(),
                block: true,
            }),
            Flow::Part2(Part2Flow::AdjustBalance {
                user_id: 5,
                name: "Budi".into(),
                delta: Some(-2_000),
                reason: None,
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
}
