//! *Laporan* output that is not Telegram text: the periods in `BOT_TIMEZONE` ([`period`]), the
//! chart picture ([`chart`]) and the CSV export ([`csv`]). The figures come from
//! `autoorder_schema::queries::admin::reports`, whose revenue is the sum of paid orders —
//! the definition `autoorder reconcile` holds to; the screen texts are in
//! `crate::bot::admin::reports`.

pub mod chart;
pub mod csv;
pub mod period;

pub use chart::{CHART_SIZE, ChartData, ChartError, render_chart, rupiah_short};
pub use csv::{CSV_COLUMNS, CsvError, csv_file_name, orders_csv};
pub use period::{LocalPeriod, MONTHS, RangeProblem, ReportRange, recent_months};

use autoorder_schema::queries::admin::reports::SalesReport;

/// The chart of a report: its per-day revenue and paid orders, titled and labelled by the
/// period it was read for.
pub fn chart_data(report: &SalesReport, period: &LocalPeriod) -> ChartData {
    ChartData {
        title: format!("Omzet & pesanan — {}", period.title),
        labels: period.labels.clone(),
        revenue: report.per_day.iter().map(|d| d.revenue).collect(),
        orders: report.per_day.iter().map(|d| d.orders).collect(),
    }
}
