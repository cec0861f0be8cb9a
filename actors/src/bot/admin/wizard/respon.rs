//! The Respon Bot flow: a new text (or, for *Cara Order*, a photo with caption), checked and
//! previewed, then confirmed.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::templates::TemplateKey;
use autoorder_schema::queries::shop::templates::Template;

use crate::bot::admin::input::InputError;
use crate::bot::admin::placeholders::{self, TemplateProblem};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::wizard::{Awaits, Flow};

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
