//! Placeholders in seller-edited texts (Respon Bot): the fixed list, the check a draft must
//! pass (unknown placeholders are refused by name, lengths kept within one Telegram message or
//! caption), and rendering with values — real ones for customers, samples for the preview.
//!
//! A placeholder is `{name}` with `name` of letters, digits and `_`; braces around anything
//! else (`{ }`, `{:)}`) are plain text. Names are case-sensitive: `{Nama}` is unknown.

use autoorder_schema::queries::admin::rules::{MAX_TEMPLATE_CAPTION, MAX_TEMPLATE_TEXT};

use crate::format::{local_time, rupiah};

/// Every placeholder a template may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "nama",
    "store_name",
    "order_id",
    "produk",
    "jumlah",
    "total",
    "tanggal",
    "saldo",
];

/// Why a template text was refused; the message is for the seller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateProblem {
    #[error("Placeholder tidak dikenal: {}. Yang bisa dipakai: {}.", braced(.0), braced_all())]
    Unknown(Vec<String>),
    #[error("Teks tidak boleh kosong.")]
    Empty,
    #[error("Teks terlalu panjang: {len} karakter, maksimal {max}.")]
    TooLong { len: usize, max: usize },
}

fn braced(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn braced_all() -> String {
    braced(&PLACEHOLDERS.map(String::from))
}

/// The placeholders in `text`, in order of appearance (repeats included), as `(start, end,
/// name)` byte ranges of the whole `{name}`.
fn scan(text: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let name_end = bytes[i + 1..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                .map_or(bytes.len(), |p| i + 1 + p);
            if name_end > i + 1 && name_end - i - 1 <= 32 && bytes.get(name_end) == Some(&b'}') {
                found.push((i, name_end + 1, &text[i + 1..name_end]));
                i = name_end + 1;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The distinct placeholder names used in `text`, in order of first appearance.
pub fn used(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for (_, _, name) in scan(text) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Checks a draft: no unknown placeholder, not empty (unless it is a photo's caption), and
/// within the length of a message (or of a caption, `with_photo`).
pub fn check(body: &str, with_photo: bool) -> Result<(), TemplateProblem> {
    let unknown: Vec<String> = used(body)
        .into_iter()
        .filter(|n| !PLACEHOLDERS.contains(n))
        .map(String::from)
        .collect();
    if !unknown.is_empty() {
        return Err(TemplateProblem::Unknown(unknown));
    }
    if !with_photo && body.trim().is_empty() {
        return Err(TemplateProblem::Empty);
    }
    let max = if with_photo {
        MAX_TEMPLATE_CAPTION
    } else {
        MAX_TEMPLATE_TEXT
    };
    let len = body.chars().count();
    if len > max {
        return Err(TemplateProblem::TooLong { len, max });
    }
    Ok(())
}

/// The values placeholders stand for. One a message has no value for (an order id in the
/// welcome) shows as `-`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub nama: Option<String>,
    pub store_name: Option<String>,
    pub order_id: Option<String>,
    pub produk: Option<String>,
    pub jumlah: Option<String>,
    pub total: Option<String>,
    pub tanggal: Option<String>,
    pub saldo: Option<String>,
}

impl Values {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "nama" => self.nama.as_deref(),
            "store_name" => self.store_name.as_deref(),
            "order_id" => self.order_id.as_deref(),
            "produk" => self.produk.as_deref(),
            "jumlah" => self.jumlah.as_deref(),
            "total" => self.total.as_deref(),
            "tanggal" => self.tanggal.as_deref(),
            "saldo" => self.saldo.as_deref(),
            _ => None,
        }
    }

    /// What the preview shows: a customer "Budi" buying one Netflix account, at `now` in `tz`.
    pub fn sample(store_name: &str, tz: &chrono_tz::Tz, now: i64) -> Values {
        Values {
            nama: Some("Budi".into()),
            store_name: Some(store_name.into()),
            order_id: Some("INV-20261130-0042".into()),
            produk: Some("Netflix Premium 1 Bulan".into()),
            jumlah: Some("1".into()),
            total: Some(rupiah(30_000)),
            tanggal: Some(local_time(now, tz)),
            saldo: Some(rupiah(50_000)),
        }
    }
}

/// `text` with every known placeholder replaced (unknown ones stay as written: a stored text
/// from before a placeholder was removed still reads sensibly).
pub fn render(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in scan(text) {
        if !PLACEHOLDERS.contains(&name) {
            continue;
        }
        out.push_str(&text[last..start]);
        out.push_str(values.get(name).unwrap_or("-"));
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_placeholders_are_refused_by_name() {
        assert_eq!(check("Halo {nama} di {store_name}", false), Ok(()));
        assert_eq!(
            check("Halo {foo}, {nama}, {Nama} {foo}", false),
            Err(TemplateProblem::Unknown(vec!["foo".into(), "Nama".into()]))
        );
        let message = check("{foo}", false).unwrap_err().to_string();
        assert!(
            message.contains("{foo}") && message.contains("{saldo}"),
            "{message}"
        );
        // Braces around anything but a name are text.
        assert_eq!(check("Harga {promo!} { } {} :{", false), Ok(()));
        for name in PLACEHOLDERS {
            assert_eq!(check(&format!("x {{{name}}}"), false), Ok(()), "{name}");
        }
    }

    #[test]
    fn lengths_and_emptiness() {
        assert_eq!(check("  ", false), Err(TemplateProblem::Empty));
        assert_eq!(check("", true), Ok(()), "a photo alone is fine");
        assert_eq!(
            check(&"x".repeat(MAX_TEMPLATE_TEXT + 1), false),
            Err(TemplateProblem::TooLong {
                len: MAX_TEMPLATE_TEXT + 1,
                max: MAX_TEMPLATE_TEXT
            })
        );
        assert_eq!(
            check(&"x".repeat(MAX_TEMPLATE_CAPTION + 1), true),
            Err(TemplateProblem::TooLong {
                len: MAX_TEMPLATE_CAPTION + 1,
                max: MAX_TEMPLATE_CAPTION
            })
        );
    }

    #[test]
    fn rendering_fills_known_placeholders() {
        let values = Values {
            nama: Some("Ani".into()),
            store_name: Some("Toko".into()),
            ..Values::default()
        };
        assert_eq!(
            render(
                "Hai {nama} di {store_name}! Pesanan {order_id}. {foo} {nama}",
                &values
            ),
            "Hai Ani di Toko! Pesanan -. {foo} Ani"
        );
        assert_eq!(render("tanpa placeholder", &values), "tanpa placeholder");
        let sample = Values::sample("Toko Digital", &chrono_tz::Asia::Jakarta, 1_758_244_729_000);
        let preview = render("{nama} {total} {saldo} {tanggal}", &sample);
        assert_eq!(preview, "Budi Rp 30.000 Rp 50.000 19/09/2025 08:18 WIB");
        assert_eq!(used("{a}{b}{a}"), ["a", "b"]);
    }
}
