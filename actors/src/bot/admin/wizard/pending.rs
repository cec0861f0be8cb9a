//! One-screen flows: a single write waiting for *Ya*.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::templates::TemplateKey;
use autoorder_schema::queries::admin::{CategoryId, ProductId, VoucherId};

use crate::bot::admin::callback::{
    AdminCallback, CategoryAction, ProductAction, ResponAction, SnkAction, VoucherAction,
};

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
    pub(super) fn origin(&self) -> AdminCallback {
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
