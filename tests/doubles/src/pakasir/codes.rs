//! Fees, payment numbers and timestamps as the real gateway produces them, so the bot's
//! rendering and parsing are exercised on realistic values.

use chrono::{DateTime, SecondsFormat, Utc};

/// The payment methods the double accepts in `/api/transactioncreate/{method}` — Pakasir's
/// QRIS, virtual accounts and PayPal.
pub const METHODS: &[&str] = &[
    "qris",
    "bni_va",
    "bri_va",
    "cimb_niaga_va",
    "permata_va",
    "maybank_va",
    "sampoerna_va",
    "bnc_va",
    "atm_bersama_va",
    "artha_graha_va",
    "paypal",
];

/// The flat fee the double charges on every method but QRIS.
pub const VA_FEE: i64 = 4_000;

/// The QRIS fee observed on the real gateway: `ceil(0.7 % × amount) + 310`.
pub fn qris_fee(amount: i64) -> i64 {
    (amount.max(0) * 7 + 999) / 1000 + 310
}

/// The fee the double charges for `method` on `amount`.
pub fn fee(method: &str, amount: i64) -> i64 {
    if method == "qris" {
        qris_fee(amount)
    } else {
        VA_FEE
    }
}

/// A timestamp the way Pakasir writes it: RFC 3339, UTC, nanoseconds
/// (`2025-09-19T01:18:49.678622564Z`).
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A dynamic QRIS payload (EMVCo merchant-presented mode) for `total` Rupiah: starts
/// `00020101021226…`, carries the amount in tag 54 and the order id in tag 62, and ends with
/// tag 63, a CRC-16/CCITT-FALSE over everything before it, as four upper-case hex digits.
pub fn qris_payload(order_id: &str, total: i64) -> String {
    let reference: String = order_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(25)
        .collect();
    let merchant_account = [
        tlv("00", "ID.CO.PAKASIR.WWW"),
        tlv("01", "936008980000000001"),
        tlv("02", "ID1025000000001"),
        tlv("03", "UMI"),
    ]
    .concat();
    let national = [
        tlv("00", "ID.CO.QRIS.WWW"),
        tlv("02", "ID1025000000001"),
        tlv("03", "UMI"),
    ]
    .concat();
    let mut payload = [
        tlv("00", "01"),
        tlv("01", "12"),
        tlv("26", &merchant_account),
        tlv("51", &national),
        tlv("52", "5411"),
        tlv("53", "360"),
        tlv("54", &total.to_string()),
        tlv("58", "ID"),
        tlv("59", "AUTOORDER TEST STORE"),
        tlv("60", "JAKARTA"),
        tlv("61", "10110"),
        tlv("62", &tlv("01", &reference)),
    ]
    .concat();
    payload.push_str("6304");
    let crc = crc16_ccitt(payload.as_bytes());
    payload.push_str(&format!("{crc:04X}"));
    payload
}

/// A virtual-account number: a bank-like prefix and twelve digits from `serial`.
pub fn va_number(method: &str, serial: u64) -> String {
    let prefix = match method {
        "bni_va" => "9880",
        "bri_va" => "1280",
        "permata_va" => "8528",
        "cimb_niaga_va" => "5919",
        _ => "8808",
    };
    format!("{prefix}{:012}", serial % 1_000_000_000_000)
}

/// Whether `payload` ends with the CRC of everything before its last four characters.
pub fn qris_crc_ok(payload: &str) -> bool {
    let Some(split) = payload.len().checked_sub(4) else {
        return false;
    };
    let (body, crc) = payload.split_at(split);
    body.ends_with("6304") && format!("{:04X}", crc16_ccitt(body.as_bytes())) == crc
}

fn tlv(tag: &str, value: &str) -> String {
    format!("{tag}{:02}{value}", value.len().min(99))
}

pub(super) fn crc16_ccitt(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}
