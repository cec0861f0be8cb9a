//! The seller-editable texts (Respon Bot): the welcome, *Cara Order* (text, or a photo with the
//! text as caption), the payment-success message and the manual-transfer instructions on the
//! customer's *Deposit* screen. Saves and resets name the version they were
//! based on. A reset keeps the row with no text and no photo — which every reader takes as "use
//! the built-in text" ([`Template::is_default`]) — so the version keeps counting and an edit
//! begun before the reset is still refused.
//!
//! Which placeholders a text may use is the bot's business (it validates and previews them);
//! this layer enforces lengths.

use diesel::prelude::*;
use serde_json::{Value, json};

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::SellerId;
use super::rules::{MAX_TEMPLATE_CAPTION, MAX_TEMPLATE_TEXT};
use super::tx::{AdminRefusal, InvalidField, admin_tx, changed_meanwhile, chars};
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::queries::shop::templates::{
    DEPOSIT_INSTRUCTIONS, HOW_TO_ORDER, PAYMENT_SUCCESS, Template, WELCOME,
};
use crate::tables::templates as t;

/// The texts a seller can edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKey {
    /// `/start`.
    Welcome,
    /// *Cara Order*: text, or photo with caption.
    HowToOrder,
    /// Sent to the buyer when a payment succeeds.
    PaymentSuccess,
    /// Manual-transfer instructions on the customer's *Deposit* screen, with a contact button;
    /// it has no built-in text — unset (or reset), the screen shows nothing extra.
    DepositInstructions,
}

impl TemplateKey {
    /// Every key, in menu order.
    pub const ALL: [TemplateKey; 4] = [
        TemplateKey::Welcome,
        TemplateKey::HowToOrder,
        TemplateKey::PaymentSuccess,
        TemplateKey::DepositInstructions,
    ];

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            TemplateKey::Welcome => WELCOME,
            TemplateKey::HowToOrder => HOW_TO_ORDER,
            TemplateKey::PaymentSuccess => PAYMENT_SUCCESS,
            TemplateKey::DepositInstructions => DEPOSIT_INSTRUCTIONS,
        }
    }

    /// The key stored as `s`.
    pub fn parse(s: &str) -> Option<TemplateKey> {
        TemplateKey::ALL.into_iter().find(|k| k.key() == s)
    }

    /// Whether the text may come with a photo (then it is the caption).
    pub fn allows_photo(self) -> bool {
        self == TemplateKey::HowToOrder
    }
}

/// A template as the editor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditableTemplate {
    pub key: TemplateKey,
    /// `None`: the built-in text is used.
    pub current: Option<Template>,
    /// The version a save or reset must name (0: never saved).
    pub version: i64,
}

fn stored(
    conn: &mut DbConnection,
    key: TemplateKey,
) -> Result<Option<(i64, Template)>, StoreError> {
    let row: Option<(i64, String, Option<String>)> = t::table
        .filter(t::key.eq(key.key()))
        .select((t::version, t::body, t::photo))
        .first(conn)
        .optional()?;
    Ok(row.map(|(version, body, photo)| (version, Template { body, photo })))
}

/// A template and its version, for the editor.
pub fn template_for_edit(
    conn: &mut DbConnection,
    key: TemplateKey,
) -> Result<EditableTemplate, StoreError> {
    Ok(match stored(conn, key)? {
        Some((version, template)) => EditableTemplate {
            key,
            current: (!template.is_default()).then_some(template),
            version,
        },
        None => EditableTemplate {
            key,
            current: None,
            version: 0,
        },
    })
}

fn audit_value(template: Option<&Template>) -> Value {
    match template.filter(|t| !t.is_default()) {
        Some(t) => json!({ "body": t.body, "photo": t.photo }),
        None => Value::Null,
    }
}

fn valid(key: TemplateKey, template: &Template) -> bool {
    let n = chars(&template.body);
    match template.photo.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(_) => key.allows_photo() && n <= MAX_TEMPLATE_CAPTION,
        None => !template.body.trim().is_empty() && n <= MAX_TEMPLATE_TEXT,
    }
}

/// Saves a template if it is still at `expected_version`; returns the new version. Refused:
/// [`AdminRefusal::ChangedMeanwhile`], [`AdminRefusal::Invalid`] (empty, too long, or a photo
/// where none is allowed).
pub fn save_template(
    conn: &mut DbConnection,
    seller: SellerId,
    key: TemplateKey,
    expected_version: i64,
    template: &Template,
) -> Result<Result<i64, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        if !valid(key, template) {
            return Err(AdminRefusal::Invalid(InvalidField::TemplateBody).into());
        }
        let audit_subject = subject::template(key.key());
        let now = now_ms();
        let before = stored(conn, key)?;
        let current = before.as_ref().map_or(0, |(v, _)| *v);
        if current != expected_version {
            return Err(changed_meanwhile(conn, &audit_subject, current)?);
        }
        let written = match before {
            // Never saved: insert, unless another seller's first save came at the same instant.
            None => crate::on_backend!(conn, k => diesel::insert_into(t::table)
                .values((
                    t::key.eq(key.key()),
                    t::body.eq(&template.body),
                    t::photo.eq(&template.photo),
                    t::updated_by.eq(Some(seller.0)),
                    t::updated_at.eq(now),
                    t::version.eq(1),
                ))
                .on_conflict(t::key)
                .do_nothing()
                .execute(k)?),
            Some(_) => diesel::update(
                t::table
                    .filter(t::key.eq(key.key()))
                    .filter(t::version.eq(expected_version)),
            )
            .set((
                t::body.eq(&template.body),
                t::photo.eq(&template.photo),
                t::updated_by.eq(Some(seller.0)),
                t::updated_at.eq(now),
                t::version.eq(t::version + 1),
            ))
            .execute(conn)?,
        };
        if written == 0 {
            let now = stored(conn, key)?.map_or(0, |(v, _)| v);
            return Err(changed_meanwhile(conn, &audit_subject, now)?);
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::TemplateSave,
            &audit_subject,
            audit_value(before.as_ref().map(|(_, t)| t)),
            audit_value(Some(template)),
        )?;
        Ok(expected_version + 1)
    })
}

/// Goes back to the built-in text if the template is still at `expected_version`; returns the
/// version afterwards (unchanged when it already was the built-in text). Refused:
/// [`AdminRefusal::ChangedMeanwhile`].
pub fn reset_template(
    conn: &mut DbConnection,
    seller: SellerId,
    key: TemplateKey,
    expected_version: i64,
) -> Result<Result<i64, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let audit_subject = subject::template(key.key());
        let before = stored(conn, key)?;
        let current = before.as_ref().map_or(0, |(v, _)| *v);
        if current != expected_version {
            return Err(changed_meanwhile(conn, &audit_subject, current)?);
        }
        let Some((_, template)) = before.filter(|(_, t)| !t.is_default()) else {
            return Ok(current);
        };
        let written = diesel::update(
            t::table
                .filter(t::key.eq(key.key()))
                .filter(t::version.eq(expected_version)),
        )
        .set((
            t::body.eq(""),
            t::photo.eq(None::<String>),
            t::updated_by.eq(Some(seller.0)),
            t::updated_at.eq(now_ms()),
            t::version.eq(t::version + 1),
        ))
        .execute(conn)?;
        if written == 0 {
            let now = stored(conn, key)?.map_or(0, |(v, _)| v);
            return Err(changed_meanwhile(conn, &audit_subject, now)?);
        }
        record_admin_write(
            conn,
            seller,
            AdminAction::TemplateReset,
            &audit_subject,
            audit_value(Some(&template)),
            Value::Null,
        )?;
        Ok(expected_version + 1)
    })
}
