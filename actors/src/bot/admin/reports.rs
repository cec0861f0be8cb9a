//! *Laporan* section: the period menu (today, 7 days, 30 days, a month picked from a list),
//! the summary sent with the chart picture, the stock report and the CSV caption. Pure:
//! texts, keyboards and typed actions; the figures come from the one revenue definition in
//! `autoorder_schema::queries::admin::reports`, the picture and CSV from [`crate::reports`].

use autoorder_schema::queries::admin::reports::{SalesReport, StockLine};

use super::orders::{method_label, status_label};
use super::ui::{self, AreaAction, Btn, Fields, Screen};
use crate::format::rupiah;
use crate::reports::period::{LocalPeriod, MONTHS, ReportRange};

/// How many past months the month picker offers (this one included).
pub const PICKER_MONTHS: usize = 12;
/// Most products the stock report lists in one message (lowest stock first).
pub const STOCK_LINES: usize = 60;

/// What the Laporan section's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    /// The period menu.
    Menu,
    /// The summary and chart of a period.
    Show(ReportRange),
    /// The month picker.
    Months,
    /// The CSV export of a period's orders.
    Csv(ReportRange),
    /// The stock report.
    Stock,
}

fn encode_range(range: ReportRange) -> String {
    match range {
        ReportRange::Today => "t".into(),
        ReportRange::Last7Days => "w".into(),
        ReportRange::Last30Days => "m".into(),
        ReportRange::Month { year, month } => format!("y:{year}:{month}"),
    }
}

fn decode_range(f: &mut Fields<'_>) -> Option<ReportRange> {
    Some(match f.text()? {
        "t" => ReportRange::Today,
        "w" => ReportRange::Last7Days,
        "m" => ReportRange::Last30Days,
        "y" => {
            let year: i32 = f.num()?;
            let month: u32 = f.num()?;
            if !(1..=12).contains(&month) {
                return None;
            }
            ReportRange::Month { year, month }
        }
        _ => return None,
    })
}

impl AreaAction for ReportAction {
    fn encode(&self) -> String {
        match self {
            ReportAction::Menu => "menu".into(),
            ReportAction::Show(range) => format!("s:{}", encode_range(*range)),
            ReportAction::Months => "ms".into(),
            ReportAction::Csv(range) => format!("c:{}", encode_range(*range)),
            ReportAction::Stock => "st".into(),
        }
    }

    fn decode(text: &str) -> Option<ReportAction> {
        let mut f = Fields::of(text);
        let action = match f.text()? {
            "menu" => ReportAction::Menu,
            "s" => ReportAction::Show(decode_range(&mut f)?),
            "ms" => ReportAction::Months,
            "c" => ReportAction::Csv(decode_range(&mut f)?),
            "st" => ReportAction::Stock,
            _ => return None,
        };
        f.done(action)
    }
}

/// The period menu.
pub fn menu_screen() -> Screen<ReportAction> {
    Screen {
        text: "📊 Laporan — pilih periode. Omzet dihitung dari pesanan yang sudah dibayar.".into(),
        rows: vec![
            vec![
                Btn::act("Hari ini", ReportAction::Show(ReportRange::Today)),
                Btn::act("7 hari", ReportAction::Show(ReportRange::Last7Days)),
                Btn::act("30 hari", ReportAction::Show(ReportRange::Last30Days)),
            ],
            vec![
                Btn::act("📅 Pilih bulan", ReportAction::Months),
                Btn::act("📦 Laporan Stok", ReportAction::Stock),
            ],
            vec![Btn::admin_menu()],
        ],
    }
}

/// The month picker: `months` newest first (see `reports::period::recent_months`).
pub fn months_screen(months: &[(i32, u32)]) -> Screen<ReportAction> {
    let mut rows: Vec<Vec<Btn<ReportAction>>> = months
        .chunks(3)
        .map(|chunk| {
            chunk
                .iter()
                .map(|(year, month)| {
                    let name = MONTHS[(*month as usize).clamp(1, 12) - 1];
                    Btn::act(
                        format!("{} {year}", &name[..3.min(name.len())]),
                        ReportAction::Show(ReportRange::Month {
                            year: *year,
                            month: *month,
                        }),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(vec![Btn::act(ui::BTN_BACK, ReportAction::Menu)]);
    Screen {
        text: "📅 Laporan bulan apa?".into(),
        rows,
    }
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole > 0 { part * 100 / whole } else { 0 }
}

/// The summary sent with the chart (as its caption when short enough, else right after it).
pub fn summary_screen(
    r: &SalesReport,
    period: &LocalPeriod,
    range: ReportRange,
) -> Screen<ReportAction> {
    let mut text = format!(
        "📊 Laporan {}\n\n💰 Omzet: {}\n🧾 Pesanan dibayar: {}\n📦 Item terjual: {}",
        period.title,
        rupiah(r.revenue),
        r.orders,
        r.items_sold
    );
    if r.orders > 0 {
        text.push_str(&format!(
            "\n🧮 Rata-rata per pesanan: {}",
            rupiah(r.revenue / r.orders)
        ));
    }
    if r.discounts > 0 {
        text.push_str(&format!("\n🎟️ Diskon voucher: {}", rupiah(r.discounts)));
    }
    for (status, n) in &r.unpaid {
        text.push_str(&format!("\n{}: {n}", status_label(*status)));
    }
    text.push_str(&format!(
        "\n💳 Deposit saldo: {} ({}×)\n🆕 Pelanggan baru: {}",
        rupiah(r.deposit_amount),
        r.deposits,
        r.new_customers
    ));
    if !r.methods.is_empty() {
        text.push_str("\n\nMetode pembayaran:");
        for m in &r.methods {
            text.push_str(&format!(
                "\n• {}: {} pesanan, {} ({}%)",
                method_label(&m.method),
                m.orders,
                rupiah(m.revenue),
                percent(m.revenue, r.revenue)
            ));
        }
    }
    if !r.top_products.is_empty() {
        text.push_str("\n\nProduk terlaris:");
        for (i, p) in r.top_products.iter().enumerate() {
            text.push_str(&format!(
                "\n{}. {} — {} terjual, {}",
                i + 1,
                ui::clip(&p.name, 40),
                p.quantity,
                rupiah(p.gross)
            ));
        }
    }
    if r.orders == 0 {
        text.push_str("\n\nBelum ada pesanan dibayar pada periode ini.");
    }
    Screen {
        text,
        rows: vec![
            vec![Btn::act("📄 Export CSV", ReportAction::Csv(range))],
            vec![
                Btn::act("Hari ini", ReportAction::Show(ReportRange::Today)),
                Btn::act("7 hari", ReportAction::Show(ReportRange::Last7Days)),
                Btn::act("30 hari", ReportAction::Show(ReportRange::Last30Days)),
            ],
            vec![
                Btn::act(ui::BTN_BACK, ReportAction::Menu),
                Btn::admin_menu(),
            ],
        ],
    }
}

/// The caption of the chart picture.
pub fn chart_caption(period: &LocalPeriod, chart_period: &LocalPeriod) -> String {
    if period.period == chart_period.period {
        format!("📈 Omzet & pesanan per hari — {}", period.title)
    } else {
        format!(
            "📈 Omzet & pesanan per hari — {} (konteks untuk {})",
            chart_period.title, period.title
        )
    }
}

/// The caption of the CSV document.
pub fn csv_caption(period: &LocalPeriod, rows: usize, revenue: i64) -> String {
    format!(
        "📄 Pesanan {} — {rows} baris. Baris berstatus paid/delivered berjumlah {} (= omzet laporan).",
        period.title,
        rupiah(revenue)
    )
}

/// The stock report: every product for sale, lowest available first, low stock marked.
pub fn stock_screen(lines: &[StockLine], threshold: i64) -> Screen<ReportAction> {
    let low = lines.iter().filter(|l| l.low).count();
    let mut text = format!(
        "📦 Laporan Stok — {} produk, {low} stok menipis (≤ {threshold})\n\ntersedia / dipesan / terjual",
        lines.len()
    );
    if lines.is_empty() {
        text.push_str("\n\nBelum ada produk yang dijual.");
    }
    for l in lines.iter().take(STOCK_LINES) {
        text.push_str(&format!(
            "\n{} {} ({}): {} / {} / {}",
            if l.low { "⚠️" } else { "•" },
            ui::clip(&l.name, 36),
            l.code,
            l.available,
            l.reserved,
            l.sold
        ));
    }
    if lines.len() > STOCK_LINES {
        text.push_str(&format!(
            "\n… dan {} produk lainnya",
            lines.len() - STOCK_LINES
        ));
    }
    Screen {
        text,
        rows: vec![vec![
            Btn::act(ui::BTN_BACK, ReportAction::Menu),
            Btn::admin_menu(),
        ]],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::ui::testing::round_trips;
    use crate::reports::period::recent_months;
    use autoorder_schema::queries::admin::orders::OrderStatus;
    use autoorder_schema::queries::admin::reports::{DayFigure, MethodFigure, ProductFigure};

    const TZ: chrono_tz::Tz = chrono_tz::Asia::Jakarta;
    const NOW: i64 = 1_795_230_000_000;

    fn report() -> SalesReport {
        SalesReport {
            start: 0,
            end: 1,
            orders: 3,
            items_sold: 5,
            revenue: 90_000,
            discounts: 5_000,
            unpaid: vec![(OrderStatus::Pending, 1), (OrderStatus::Expired, 2)],
            deposits: 2,
            deposit_amount: 60_000,
            new_customers: 4,
            methods: vec![
                MethodFigure {
                    method: "qris".into(),
                    orders: 2,
                    revenue: 60_000,
                },
                MethodFigure {
                    method: "balance".into(),
                    orders: 1,
                    revenue: 30_000,
                },
            ],
            top_products: vec![ProductFigure {
                product_id: 1,
                name: "Netflix 1 Bulan".into(),
                quantity: 4,
                gross: 80_000,
            }],
            per_day: vec![DayFigure {
                start: 0,
                orders: 3,
                revenue: 90_000,
            }],
        }
    }

    #[test]
    fn every_action_round_trips_within_the_limit() {
        for action in [
            ReportAction::Menu,
            ReportAction::Show(ReportRange::Today),
            ReportAction::Show(ReportRange::Last7Days),
            ReportAction::Show(ReportRange::Last30Days),
            ReportAction::Show(ReportRange::Month {
                year: 2026,
                month: 12,
            }),
            ReportAction::Months,
            ReportAction::Csv(ReportRange::Month {
                year: i32::MAX,
                month: 1,
            }),
            ReportAction::Stock,
        ] {
            round_trips(&action);
        }
        for forged in [
            "",
            "s",
            "s:q",
            "s:y:2026:13",
            "s:y:2026:0",
            "c:y:-1:1",
            "st:1",
            "menu:",
        ] {
            assert_eq!(ReportAction::decode(forged), None, "{forged}");
        }
    }

    #[test]
    fn the_summary_has_every_figure() {
        let period = ReportRange::Today.resolve(NOW, &TZ).unwrap();
        let s = summary_screen(&report(), &period, ReportRange::Today);
        for expected in [
            "📊 Laporan Hari ini, 21/11/2026",
            "💰 Omzet: Rp 90.000",
            "🧾 Pesanan dibayar: 3",
            "📦 Item terjual: 5",
            "Rata-rata per pesanan: Rp 30.000",
            "Diskon voucher: Rp 5.000",
            "⏳ Menunggu bayar: 1",
            "⌛ Kedaluwarsa: 2",
            "Deposit saldo: Rp 60.000 (2×)",
            "Pelanggan baru: 4",
            "• QRIS: 2 pesanan, Rp 60.000 (66%)",
            "• Saldo: 1 pesanan, Rp 30.000 (33%)",
            "1. Netflix 1 Bulan — 4 terjual, Rp 80.000",
        ] {
            assert!(s.text.contains(expected), "{expected} in {}", s.text);
        }
        assert!(
            s.actions()
                .any(|a| *a == ReportAction::Csv(ReportRange::Today))
        );
        let empty = SalesReport {
            orders: 0,
            revenue: 0,
            methods: vec![],
            top_products: vec![],
            unpaid: vec![],
            ..report()
        };
        assert!(
            summary_screen(&empty, &period, ReportRange::Today)
                .text
                .contains("Belum ada pesanan dibayar")
        );
    }

    #[test]
    fn the_month_picker_and_stock_report() {
        let months = months_screen(&recent_months(NOW, &TZ, PICKER_MONTHS));
        let actions: Vec<&ReportAction> = months.actions().collect();
        assert_eq!(
            actions.first(),
            Some(&&ReportAction::Show(ReportRange::Month {
                year: 2026,
                month: 11
            }))
        );
        assert_eq!(months.rows[0][0].text, "Nov 2026");
        assert_eq!(
            actions.len(),
            PICKER_MONTHS + 1,
            "twelve months and Kembali"
        );
        let lines = vec![
            StockLine {
                product_id: 1,
                code: "NF".into(),
                name: "Netflix".into(),
                available: 2,
                reserved: 1,
                sold: 9,
                low: true,
            },
            StockLine {
                product_id: 2,
                code: "SP".into(),
                name: "Spotify".into(),
                available: 20,
                reserved: 0,
                sold: 3,
                low: false,
            },
        ];
        let s = stock_screen(&lines, 3);
        assert!(
            s.text.contains("2 produk, 1 stok menipis (≤ 3)"),
            "{}",
            s.text
        );
        assert!(s.text.contains("⚠️ Netflix (NF): 2 / 1 / 9"));
        assert!(s.text.contains("• Spotify (SP): 20 / 0 / 3"));
    }

    #[test]
    fn captions() {
        let today = ReportRange::Today.resolve(NOW, &TZ).unwrap();
        let week = ReportRange::Today.chart_range().resolve(NOW, &TZ).unwrap();
        assert!(chart_caption(&today, &week).contains("konteks untuk Hari ini"));
        assert!(!chart_caption(&week, &week).contains("konteks"));
        assert!(csv_caption(&today, 4, 85_000).contains("4 baris"));
    }
}
