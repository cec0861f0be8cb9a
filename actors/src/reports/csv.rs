//! The CSV export of a period's orders, sent to the seller as a document: one row per order
//! ([`export_orders`](autoorder_schema::queries::admin::reports::export_orders) picks them by
//! the same rule as revenue, so the paid rows' `total` sums to the report's revenue). Written
//! with the `csv` crate; UTF-8 with a byte-order mark so spreadsheet programs read names
//! correctly; times in `BOT_TIMEZONE` as `YYYY-MM-DD HH:MM`; money as whole Rupiah numbers.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use autoorder_schema::queries::admin::reports::ExportOrder;

use super::period::LocalPeriod;

/// The header row, in column order.
pub const CSV_COLUMNS: [&str; 13] = [
    "invoice",
    "dibuat",
    "dibayar",
    "id_pelanggan",
    "pelanggan",
    "username",
    "status",
    "metode",
    "subtotal",
    "diskon",
    "biaya",
    "total",
    "item",
];

/// UTF-8 byte-order mark: lets spreadsheet programs detect the encoding.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why the export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("writing the CSV failed: {0}")]
    Write(#[from] csv::Error),
    #[error("finishing the CSV failed: {0}")]
    Finish(String),
}

fn local(ms: i64, tz: &Tz) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}

/// Text a customer chose (names, usernames, product names) can start with `=`, `+`, `-` or
/// `@`, which spreadsheet programs run as a formula: such cells get a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The CSV file of `rows`.
pub fn orders_csv(rows: &[ExportOrder], tz: &Tz) -> Result<Vec<u8>, CsvError> {
    let mut out = csv::Writer::from_writer(BOM.to_vec());
    out.write_record(CSV_COLUMNS)?;
    for row in rows {
        out.write_record([
            cell(&row.invoice_no),
            local(row.created_at, tz),
            row.paid_at.map(|t| local(t, tz)).unwrap_or_default(),
            row.user_id.to_string(),
            cell(&row.customer),
            cell(row.username.as_deref().unwrap_or("")),
            row.status.as_str().to_string(),
            row.payment_method.clone(),
            row.subtotal.to_string(),
            row.discount.to_string(),
            row.fee.to_string(),
            row.total.to_string(),
            cell(&row.items),
        ])?;
    }
    out.into_inner()
        .map_err(|e| CsvError::Finish(e.error().to_string()))
}

/// `pesanan_2026-11-15_2026-11-21.csv` (one date for a single day).
pub fn csv_file_name(period: &LocalPeriod) -> String {
    if period.first == period.last {
        format!("pesanan_{}.csv", period.first.format("%Y-%m-%d"))
    } else {
        format!(
            "pesanan_{}_{}.csv",
            period.first.format("%Y-%m-%d"),
            period.last.format("%Y-%m-%d")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::orders::OrderStatus;

    fn row(id: i64, status: OrderStatus, total: i64, customer: &str) -> ExportOrder {
        ExportOrder {
            id,
            invoice_no: format!("INV-20261121-{id:06}"),
            created_at: 1_795_230_000_000,
            paid_at: status.is_paid().then_some(1_795_230_060_000),
            user_id: 1000 + id,
            customer: customer.into(),
            username: None,
            status,
            payment_method: "qris".into(),
            subtotal: total,
            discount: 0,
            fee: 0,
            total,
            items: "Netflix, 1 Bulan x1".into(),
        }
    }

    #[test]
    fn the_export_parses_back_and_its_paid_rows_sum_to_the_revenue() {
        let rows = vec![
            row(1, OrderStatus::Paid, 30_000, "Ani"),
            row(2, OrderStatus::Delivered, 55_000, "Budi \"B\", Jr."),
            row(3, OrderStatus::Pending, 10_000, "Citra"),
            row(4, OrderStatus::Expired, 20_000, "=HYPERLINK(\"x\")"),
        ];
        let bytes = orders_csv(&rows, &chrono_tz::Asia::Jakarta).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut reader = csv::Reader::from_reader(&bytes[BOM.len()..]);
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(header, CSV_COLUMNS);
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 4);
        let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
        let paid: i64 = records
            .iter()
            .filter(|r| matches!(&r[col("status")], "paid" | "delivered"))
            .map(|r| r[col("total")].parse::<i64>().unwrap())
            .sum();
        assert_eq!(paid, 85_000);
        assert_eq!(
            &records[1][col("pelanggan")],
            "Budi \"B\", Jr.",
            "quotes and commas survive"
        );
        assert_eq!(
            &records[0][col("dibuat")],
            "2026-11-21 10:00",
            "local time (WIB)"
        );
        assert_eq!(&records[0][col("dibayar")], "2026-11-21 10:01");
        assert_eq!(
            &records[2][col("dibayar")],
            "",
            "unpaid orders have no payment time"
        );
        assert_eq!(
            &records[3][col("pelanggan")],
            "'=HYPERLINK(\"x\")",
            "formulas are neutralised"
        );
        assert_eq!(&records[0][col("item")], "Netflix, 1 Bulan x1");
    }

    #[test]
    fn file_names_carry_the_dates() {
        let now = 1_795_230_000_000;
        let tz = chrono_tz::Asia::Jakarta;
        let week = super::super::period::ReportRange::Last7Days
            .resolve(now, &tz)
            .unwrap();
        assert_eq!(csv_file_name(&week), "pesanan_2026-11-15_2026-11-21.csv");
        let today = super::super::period::ReportRange::Today
            .resolve(now, &tz)
            .unwrap();
        assert_eq!(csv_file_name(&today), "pesanan_2026-11-21.csv");
    }
}
