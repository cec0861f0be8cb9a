//! The old bot's seller texts under our template keys, their placeholders mapped to ours.
//!
//! The old bot keeps *Cara Order* in `admin_custom_configs` (`template.cara_order.text` and
//! `.photo_id`, which it really shows) and free-labelled texts in `reply_templates`, whose
//! labels are matched to our keys by name. It fills placeholders with Python's `format_map`
//! and leaves unknown ones as written; ours are plain `{name}` replacements.

use autoorder_schema::queries::shop::templates::{HOW_TO_ORDER, WELCOME};

/// Our key of the payment-success text. The admin menu's *Respon bot* adds it to the schema
/// crate's keys; until then it is defined here so an old payment-success text is kept.
pub const PAYMENT_SUCCESS: &str = "payment_success";

/// The placeholders our texts understand.
pub const OUR_PLACEHOLDERS: [&str; 8] = [
    "nama",
    "store_name",
    "order_id",
    "produk",
    "jumlah",
    "total",
    "tanggal",
    "saldo",
];

/// Old placeholders with another name here.
const RENAMED: &[(&str, &str)] = &[("harga", "total")];

/// Configuration keys of the old bot's *Cara Order*.
pub const CARA_ORDER_TEXT: &str = "template.cara_order.text";
/// The photo shown with the old *Cara Order* (a Telegram file id; the same bot keeps it).
pub const CARA_ORDER_PHOTO: &str = "template.cara_order.photo_id";

/// Our key for an old `reply_templates` label, if it names one of our texts.
pub fn key_for_label(label: &str) -> Option<&'static str> {
    let norm: String = label
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    match norm.trim_matches('_') {
        "welcome" | "welcome_message" | "welcome_text" | "start" | "sambutan" | "salam" => {
            Some(WELCOME)
        }
        "cara_order" | "how_to_order" | "howto" | "panduan" | "cara_pesan" => Some(HOW_TO_ORDER),
        "payment_success"
        | "payment_successful"
        | "pembayaran_sukses"
        | "pembayaran_berhasil"
        | "success"
        | "sukses" => Some(PAYMENT_SUCCESS),
        _ => None,
    }
}

/// A text with its placeholders mapped, and the placeholders that have no equivalent (left as
/// written, as the old bot did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub body: String,
    pub unknown: Vec<String>,
}

/// Maps `{harga}` to `{total}`, turns Python's `{{`/`}}` escapes into plain braces, and lists
/// the placeholders our texts do not know.
pub fn map_placeholders(text: &str) -> Mapped {
    let mut body = String::with_capacity(text.len());
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        body.push_str(&rest[..open]);
        let tail = &rest[open..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            body.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            body.push('}');
            rest = after;
            continue;
        }
        let name_end = tail[1..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(|i| i + 1);
        match name_end {
            Some(end) if end > 1 && tail[end..].starts_with('}') => {
                let name = &tail[1..end];
                let ours = RENAMED
                    .iter()
                    .find(|(old, _)| *old == name)
                    .map_or(name, |(_, new)| new);
                if !OUR_PLACEHOLDERS.contains(&ours) && !unknown.iter().any(|u| u == name) {
                    unknown.push(name.to_string());
                }
                body.push('{');
                body.push_str(ours);
                body.push('}');
                rest = &tail[end + 1..];
            }
            _ => {
                body.push('{');
                rest = &tail[1..];
            }
        }
    }
    body.push_str(rest);
    Mapped { body, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_mapped_and_unknown_ones_listed() {
        let m = map_placeholders("Hai {nama}! Total {harga}, status {status} {{literal}} {nama}");
        assert_eq!(
            m.body,
            "Hai {nama}! Total {total}, status {status} {literal} {nama}"
        );
        assert_eq!(m.unknown, ["status"]);
        let m = map_placeholders("{store_name} {saldo} {bank_id} {total_users} { x } {");
        assert_eq!(
            m.body,
            "{store_name} {saldo} {bank_id} {total_users} { x } {"
        );
        assert_eq!(m.unknown, ["bank_id", "total_users"]);
    }

    #[test]
    fn labels_find_our_keys() {
        assert_eq!(key_for_label("Welcome Message"), Some(WELCOME));
        assert_eq!(key_for_label("cara-order"), Some(HOW_TO_ORDER));
        assert_eq!(key_for_label("payment_success"), Some(PAYMENT_SUCCESS));
        assert_eq!(key_for_label("promo lebaran"), None);
    }
}
