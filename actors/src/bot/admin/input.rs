//! Parsers for what a seller types at a wizard step. Each refuses bad input with an
//! [`InputError`] whose text (Indonesian, shown as is) says what is expected, with an example;
//! limits come from the storage's own rules (`queries::admin::rules`), so a value accepted here
//! is never refused when it is saved.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use autoorder_schema::queries::admin::rules;
use autoorder_schema::queries::admin::vouchers::VoucherKind;

use crate::format::rupiah;

/// Why a typed value was refused; the message is for the seller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("Harga tidak dikenali. Tulis angka Rupiah, misalnya 30000, 30.000 atau Rp 30.000.")]
    PriceFormat,
    #[error("Harga harus antara Rp 1 dan {max}.", max = rupiah(rules::MAX_PRICE))]
    PriceRange,
    #[error(
        "Kode harus 2–32 karakter huruf A–Z, angka 0–9, _ atau - (tanpa spasi), misalnya NF1M."
    )]
    Code,
    #[error("Nama produk harus 1–{max} karakter.", max = rules::MAX_PRODUCT_NAME)]
    ProductName,
    #[error("Nama kategori harus 1–{max} karakter.", max = rules::MAX_CATEGORY_NAME)]
    CategoryName,
    #[error("Teks terlalu panjang: {len} karakter, maksimal {max}.")]
    TooLong { len: usize, max: usize },
    #[error("Teks tidak boleh kosong.")]
    Empty,
    #[error("Persen harus angka bulat 1–100, misalnya 10 atau 10%.")]
    Percent,
    #[error("Batas pemakaian harus angka 1–{max}, atau - untuk tanpa batas.", max = rules::MAX_VOUCHER_USES)]
    MaxUses,
    #[error(
        "Tanggal tidak dikenali. Tulis HH/BB/TTTT (misalnya 31/12/2026), boleh dengan jam \
         (31/12/2026 18:00), atau - untuk tanpa batas."
    )]
    DateFormat,
    #[error("Tanggal berakhir harus sesudah tanggal mulai dan belum lewat.")]
    DateOrder,
}

/// Reads a price: `30000`, `30.000`, `30,000`, `Rp 30.000`, `Rp30.000`, `rp. 30.000`.
/// Separators must group thousands (`3.0000` is refused, so a typo is not a price).
pub fn parse_price(text: &str) -> Result<i64, InputError> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let t = if lower.starts_with("rp") { &t[2..] } else { t };
    let t = t.trim_start_matches('.').trim();
    if t.is_empty() {
        return Err(InputError::PriceFormat);
    }
    let digits: String = if t.bytes().all(|b| b.is_ascii_digit()) {
        t.to_owned()
    } else {
        let sep = if t.contains('.') { '.' } else { ',' };
        let groups: Vec<&str> = t.split(sep).collect();
        let grouped = groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
        if !grouped {
            return Err(InputError::PriceFormat);
        }
        groups.concat()
    };
    if digits.len() > 12 {
        return Err(InputError::PriceRange);
    }
    let price: i64 = digits.parse().map_err(|_| InputError::PriceFormat)?;
    if !rules::is_valid_price(price) {
        return Err(InputError::PriceRange);
    }
    Ok(price)
}

/// Reads a product or voucher code, upper-cased: `nf1m` → `NF1M`.
pub fn parse_code(text: &str) -> Result<String, InputError> {
    let code = text.trim().to_uppercase();
    if rules::is_valid_code(&code) {
        Ok(code)
    } else {
        Err(InputError::Code)
    }
}

/// Reads a product name (trimmed).
pub fn parse_product_name(text: &str) -> Result<String, InputError> {
    let name = text.trim();
    if rules::is_valid_product_name(name) {
        Ok(name.to_owned())
    } else {
        Err(InputError::ProductName)
    }
}

/// Reads a category name (trimmed).
pub fn parse_category_name(text: &str) -> Result<String, InputError> {
    let name = text.trim();
    if rules::is_valid_category_name(name) {
        Ok(name.to_owned())
    } else {
        Err(InputError::CategoryName)
    }
}

/// True for the "nothing" a seller types: `-`.
fn is_dash(text: &str) -> bool {
    text.trim() == "-"
}

fn long_text(text: &str, max: usize) -> Result<String, InputError> {
    let t = text.trim();
    let len = t.chars().count();
    if len > max {
        return Err(InputError::TooLong { len, max });
    }
    Ok(t.to_owned())
}

/// Reads a description; `-` means none (empty).
pub fn parse_description(text: &str) -> Result<String, InputError> {
    if is_dash(text) {
        return Ok(String::new());
    }
    long_text(text, rules::MAX_LONG_TEXT)
}

/// Reads SNK text (clearing is its own button, so text is required).
pub fn parse_snk(text: &str) -> Result<String, InputError> {
    let t = long_text(text, rules::MAX_LONG_TEXT)?;
    if t.is_empty() || is_dash(&t) {
        return Err(InputError::Empty);
    }
    Ok(t)
}

/// Reads a percent: `10` or `10%`, 1–100.
pub fn parse_percent(text: &str) -> Result<i64, InputError> {
    let t = text.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim();
    match t.parse::<i64>() {
        Ok(p) if (1..=rules::MAX_PERCENT).contains(&p) && t.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(p)
        }
        _ => Err(InputError::Percent),
    }
}

/// Reads a voucher's value for its kind: a percent, or an amount like a price.
pub fn parse_voucher_value(kind: VoucherKind, text: &str) -> Result<i64, InputError> {
    match kind {
        VoucherKind::Percent => parse_percent(text),
        VoucherKind::Flat => parse_price(text),
    }
}

/// Reads a voucher's maximum uses; `-` or `0` means no limit.
pub fn parse_max_uses(text: &str) -> Result<Option<i32>, InputError> {
    let t = text.trim();
    if is_dash(t) || t == "0" {
        return Ok(None);
    }
    match t.parse::<i32>() {
        Ok(n)
            if (1..=rules::MAX_VOUCHER_USES).contains(&n)
                && t.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Some(n))
        }
        _ => Err(InputError::MaxUses),
    }
}

/// Which end of a day a date without a time means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00 — a validity that starts that day.
    Start,
    /// 23:59:59.999 — a validity that ends with that day.
    End,
}

/// Reads a date in the store's time zone as epoch milliseconds: `31/12/2026`, `31-12-2026`,
/// `2026-12-31`, each optionally followed by `HH:MM`; `-` means no limit (`None`).
pub fn parse_date(
    text: &str,
    tz: &chrono_tz::Tz,
    edge: DayEdge,
) -> Result<Option<i64>, InputError> {
    let t = text.trim();
    if is_dash(t) {
        return Ok(None);
    }
    let (date_part, time_part) = match t.split_once(char::is_whitespace) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let date = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(date_part, f).ok())
        .ok_or(InputError::DateFormat)?;
    let local: NaiveDateTime = match (time_part, edge) {
        (Some(time), _) => date.and_time(
            NaiveTime::parse_from_str(time, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(time, "%H.%M"))
                .map_err(|_| InputError::DateFormat)?,
        ),
        (None, DayEdge::Start) => date.and_time(NaiveTime::MIN),
        (None, DayEdge::End) => date
            .and_hms_milli_opt(23, 59, 59, 999)
            .ok_or(InputError::DateFormat)?,
    };
    // A time that does not exist or exists twice (daylight saving, not in Indonesia) takes the
    // earliest reading.
    let at = tz
        .from_local_datetime(&local)
        .earliest()
        .ok_or(InputError::DateFormat)?;
    Ok(Some(at.timestamp_millis()))
}

/// Checks a validity window: the end after the start and not already past at `now`.
pub fn check_window(from: Option<i64>, until: Option<i64>, now: i64) -> Result<(), InputError> {
    match until {
        Some(u) if u <= now || from.is_some_and(|f| f >= u) => Err(InputError::DateOrder),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_every_way_sellers_write_them() {
        for (text, price) in [
            ("30000", 30_000),
            ("30.000", 30_000),
            ("Rp 30.000", 30_000),
            ("rp30.000", 30_000),
            ("Rp. 30.000", 30_000),
            ("RP 1.250.000", 1_250_000),
            ("30,000", 30_000),
            (" 500 ", 500),
            ("1.000.000.000", 1_000_000_000),
        ] {
            assert_eq!(parse_price(text), Ok(price), "{text}");
        }
        for text in [
            "",
            "Rp",
            "tiga puluh",
            "3.0000",
            "30.00",
            "30.000,50",
            "-5",
            "1.2.3",
            "30 000",
        ] {
            assert_eq!(parse_price(text), Err(InputError::PriceFormat), "{text}");
        }
        for text in ["0", "1.000.000.001", "99999999999999999999"] {
            assert_eq!(parse_price(text), Err(InputError::PriceRange), "{text}");
        }
        assert!(InputError::PriceFormat.to_string().contains("Rp 30.000"));
    }

    #[test]
    fn codes_names_and_texts() {
        assert_eq!(parse_code(" nf1m "), Ok("NF1M".into()));
        assert_eq!(parse_code("A_B-9"), Ok("A_B-9".into()));
        for bad in ["N", "NF 1M", "NF.1", &"X".repeat(33), "ÄB"] {
            assert_eq!(parse_code(bad), Err(InputError::Code), "{bad}");
        }
        assert_eq!(parse_product_name("  Netflix  "), Ok("Netflix".into()));
        assert_eq!(parse_product_name(" "), Err(InputError::ProductName));
        assert_eq!(
            parse_category_name(&"c".repeat(65)),
            Err(InputError::CategoryName)
        );
        assert_eq!(parse_description("-"), Ok(String::new()));
        assert_eq!(
            parse_description(" Akun sharing. "),
            Ok("Akun sharing.".into())
        );
        assert_eq!(
            parse_description(&"d".repeat(3001)),
            Err(InputError::TooLong {
                len: 3001,
                max: 3000
            })
        );
        assert_eq!(parse_snk("Kirim email."), Ok("Kirim email.".into()));
        assert_eq!(parse_snk(" - "), Err(InputError::Empty));
        assert_eq!(parse_snk(""), Err(InputError::Empty));
    }

    #[test]
    fn voucher_numbers() {
        assert_eq!(parse_percent("10"), Ok(10));
        assert_eq!(parse_percent("100%"), Ok(100));
        for bad in ["0", "101", "-5", "10.5", "x", "+5"] {
            assert_eq!(parse_percent(bad), Err(InputError::Percent), "{bad}");
        }
        assert_eq!(
            parse_voucher_value(VoucherKind::Flat, "Rp 5.000"),
            Ok(5_000)
        );
        assert_eq!(parse_voucher_value(VoucherKind::Percent, "15%"), Ok(15));
        assert_eq!(parse_max_uses("100"), Ok(Some(100)));
        assert_eq!(parse_max_uses("-"), Ok(None));
        assert_eq!(parse_max_uses("0"), Ok(None));
        for bad in ["-1", "x", "1000001", "+3"] {
            assert_eq!(parse_max_uses(bad), Err(InputError::MaxUses), "{bad}");
        }
    }

    #[test]
    fn dates_are_local_to_the_store() {
        let tz = chrono_tz::Asia::Jakarta;
        // 31/12/2026 00:00 WIB = 30/12/2026 17:00 UTC.
        let start = parse_date("31/12/2026", &tz, DayEdge::Start)
            .unwrap()
            .unwrap();
        assert_eq!(start, 1_798_650_000_000);
        assert_eq!(
            parse_date("31-12-2026", &tz, DayEdge::Start),
            Ok(Some(start))
        );
        assert_eq!(
            parse_date("2026-12-31", &tz, DayEdge::Start),
            Ok(Some(start))
        );
        let end = parse_date("31/12/2026", &tz, DayEdge::End)
            .unwrap()
            .unwrap();
        assert_eq!(end, start + 86_400_000 - 1);
        assert_eq!(
            parse_date("31/12/2026 18:30", &tz, DayEdge::End),
            Ok(Some(start + (18 * 60 + 30) * 60_000))
        );
        assert_eq!(parse_date("-", &tz, DayEdge::End), Ok(None));
        for bad in [
            "31/13/2026",
            "besok",
            "2026/12/31",
            "31/12/2026 25:00",
            "31/12",
        ] {
            assert_eq!(
                parse_date(bad, &tz, DayEdge::Start),
                Err(InputError::DateFormat),
                "{bad}"
            );
        }
        assert_eq!(check_window(None, None, 5), Ok(()));
        assert_eq!(check_window(Some(1), Some(10), 5), Ok(()));
        assert_eq!(check_window(None, Some(5), 5), Err(InputError::DateOrder));
        assert_eq!(
            check_window(Some(10), Some(8), 5),
            Err(InputError::DateOrder)
        );
    }
}
