//! How money and times look to customers: whole Rupiah as `Rp 30.000`, times in
//! `BOT_TIMEZONE` with its abbreviation (WIB, WITA, WIT).

use chrono::{TimeZone, Utc};

/// `Rp 30.000`, `Rp 1.250.000`, `-Rp 5.000`.
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    if amount < 0 {
        format!("-Rp {grouped}")
    } else {
        format!("Rp {grouped}")
    }
}

/// `21/11/2026 13:05 WIB` for epoch milliseconds.
pub fn local_time(ms: i64, tz: &chrono_tz::Tz) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(tz).format("%d/%m/%Y %H:%M %Z").to_string(),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_groups_thousands_with_dots() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(520), "Rp 520");
        assert_eq!(rupiah(30_000), "Rp 30.000");
        assert_eq!(rupiah(1_003), "Rp 1.003");
        assert_eq!(rupiah(1_250_000), "Rp 1.250.000");
        assert_eq!(rupiah(-5_000), "-Rp 5.000");
    }

    #[test]
    fn times_are_local_with_the_zone_abbreviation() {
        // 2025-09-19T01:18:49Z is 08:18 in Jakarta.
        let ms = 1_758_244_729_000;
        assert_eq!(
            local_time(ms, &chrono_tz::Asia::Jakarta),
            "19/09/2025 08:18 WIB"
        );
        assert_eq!(
            local_time(ms, &chrono_tz::Asia::Makassar),
            "19/09/2025 09:18 WITA"
        );
    }
}
