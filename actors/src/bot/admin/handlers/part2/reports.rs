//! *Laporan*: the period menu, the month picker, the summary with its PNG chart, the CSV
//! export and the stock report. Figures come from the schema's report queries (revenue = the
//! sum of paid orders, as `autoorder reconcile` holds); the chart and the CSV are rendered in
//! the prepare step, so the write transaction only records the sends.

use autoorder_schema::db::now_ms;
use autoorder_schema::queries::admin::reports::{export_orders, sales_report, stock_report};

use super::{REPORTS, show};
use crate::blocking::run_blocking;
use crate::bot::admin::reports::{
    PICKER_MONTHS, ReportAction, chart_caption, csv_caption, menu_screen, months_screen,
    stock_screen, summary_screen,
};
use crate::bot::admin::ui::{AreaAction, Screen};
use crate::bot::context::{CallbackApply, Ctx, Toast, Tx};
use crate::bot::pipeline::HandleError;
use crate::reports::{
    ReportRange, chart_data, csv_file_name, orders_csv, recent_months, render_chart,
};

/// A period that cannot be reported (a future month).
const BAD_PERIOD: &str = "Periode itu belum bisa dilaporkan.";
/// The chart or CSV could not be made (logged); the summary is still sent.
const RENDER_FAILED: &str = "Grafik/CSV gagal dibuat; coba lagi.";
/// The chart's file name.
const CHART_FILE: &str = "laporan.png";

/// The prepare step of a Laporan button.
pub(super) async fn prepare(
    ctx: &Ctx<'_>,
    action: ReportAction,
) -> Result<CallbackApply, HandleError> {
    let tz = ctx.services.settings.timezone;
    let now = now_ms();
    Ok(match action {
        ReportAction::Menu => screen(menu_screen()),
        ReportAction::Months => screen(months_screen(&recent_months(now, &tz, PICKER_MONTHS))),
        ReportAction::Stock => {
            let threshold = ctx.services.settings.shop.low_stock_threshold;
            Box::new(move |tx: &mut Tx<'_>| {
                let lines = stock_report(tx.conn(), threshold)?;
                show(tx, REPORTS, stock_screen(&lines, threshold));
                Ok(Toast::none())
            })
        }
        ReportAction::Show(range) => summary(ctx, range, now).await?,
        ReportAction::Csv(range) => csv(ctx, range, now).await?,
    })
}

fn screen<A: AreaAction + Send + 'static>(s: Screen<A>) -> CallbackApply {
    Box::new(move |tx: &mut Tx<'_>| {
        show(tx, REPORTS, s);
        Ok(Toast::none())
    })
}

fn alert(text: &'static str) -> CallbackApply {
    Box::new(move |_: &mut Tx<'_>| Ok(Toast::alert(text)))
}

/// The summary of `range` and its chart (for *today*, the chart shows the last 7 days for
/// context).
async fn summary(
    ctx: &Ctx<'_>,
    range: ReportRange,
    now: i64,
) -> Result<CallbackApply, HandleError> {
    let tz = ctx.services.settings.timezone;
    let (Ok(period), Ok(chart_period)) = (
        range.resolve(now, &tz),
        range.chart_range().resolve(now, &tz),
    ) else {
        return Ok(alert(BAD_PERIOD));
    };
    let (p, cp) = (period.period.clone(), chart_period.period.clone());
    let (report, chart_report) = ctx
        .db(move |c| Ok((sales_report(c, &p)?, sales_report(c, &cp)?)))
        .await?;
    let data = chart_data(&chart_report, &chart_period);
    let png = run_blocking(move || Ok(render_chart(&data))).await?;
    let caption = chart_caption(&period, &chart_period);
    let screen = summary_screen(&report, &period, range);
    Ok(Box::new(move |tx: &mut Tx<'_>| {
        let toast = match png {
            Ok(png) => {
                tx.document(CHART_FILE, &png, Some(caption));
                Toast::none()
            }
            Err(e) => {
                log::warn!(target: crate::log_targets::BOT, "rendering the report chart: {e}");
                Toast::alert(RENDER_FAILED)
            }
        };
        let markup = super::keyboard(REPORTS, &screen.rows);
        tx.send_with(screen.text, markup);
        Ok(toast)
    }))
}

/// The CSV export of `range`'s orders, as a document.
async fn csv(ctx: &Ctx<'_>, range: ReportRange, now: i64) -> Result<CallbackApply, HandleError> {
    let tz = ctx.services.settings.timezone;
    let Ok(period) = range.resolve(now, &tz) else {
        return Ok(alert(BAD_PERIOD));
    };
    let p = period.period.clone();
    let rows = ctx.db(move |c| export_orders(c, &p)).await?;
    let revenue: i64 = rows
        .iter()
        .filter(|r| r.status.is_paid())
        .map(|r| r.total)
        .sum();
    let count = rows.len();
    let file = csv_file_name(&period);
    let caption = csv_caption(&period, count, revenue);
    let bytes = orders_csv(&rows, &tz);
    Ok(Box::new(move |tx: &mut Tx<'_>| match bytes {
        Ok(bytes) => {
            tx.document(file, &bytes, Some(caption));
            Ok(Toast::none())
        }
        Err(e) => {
            log::warn!(target: crate::log_targets::BOT, "writing the CSV export: {e}");
            Ok(Toast::alert(RENDER_FAILED))
        }
    }))
}
