//! The *Laporan* chart: revenue per day as bars (Rupiah axis on the left, `Rp 1,2 jt`) and
//! paid orders per day as a line (count axis on the right), 1000×600 with large labels so it
//! reads on a phone. Drawn in-process with `plotters` into an RGB buffer and encoded with
//! `png`; the text uses the embedded DejaVu Sans (`actors/assets/`, Bitstream Vera licence),
//! so nothing depends on the fonts installed on the server.

use std::sync::OnceLock;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Width and height of the picture, in pixels.
pub const CHART_SIZE: (u32, u32) = (1000, 600);

/// The embedded font: DejaVu Sans 2.37 (see `actors/assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
/// The family name the font is registered under.
const FAMILY: &str = "sans-serif";

const BAR: RGBColor = RGBColor(46, 125, 205);
const LINE: RGBColor = RGBColor(230, 110, 20);
const GRID: RGBColor = RGBColor(225, 225, 225);
const TEXT: RGBColor = RGBColor(40, 40, 40);

/// What the chart draws: one entry per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub title: String,
    /// `dd/mm` per day.
    pub labels: Vec<String>,
    /// Revenue per day, whole Rupiah.
    pub revenue: Vec<i64>,
    /// Paid orders per day.
    pub orders: Vec<i64>,
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("the chart needs one label, revenue and order figure per day ({0})")]
    Shape(String),
    #[error("the embedded font cannot be loaded")]
    Font,
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    #[error("encoding the chart as PNG failed: {0}")]
    Png(String),
}

fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Registers the embedded font once per process.
fn font_ready() -> Result<(), ChartError> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY.get_or_init(|| register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// `Rp 0`, `Rp 750`, `Rp 15 rb`, `Rp 1,2 jt`, `Rp 15 jt`, `Rp 1,5 M`: Indonesian short forms
/// (ribu, juta, miliar) with a decimal comma, for axis labels.
pub fn rupiah_short(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let v = amount.unsigned_abs() as f64;
    let (value, unit) = if v >= 1e9 {
        (v / 1e9, " M")
    } else if v >= 1e6 {
        (v / 1e6, " jt")
    } else if v >= 1e3 {
        (v / 1e3, " rb")
    } else {
        (v, "")
    };
    let text = if unit.is_empty() || value >= 10.0 || (value.fract() * 10.0).round() == 0.0 {
        format!("{}", value.round() as i64)
    } else {
        format!("{:.1}", value).replace('.', ",")
    };
    // 9,96 jt rounds to "10,0": show it as 10.
    let text = text.strip_suffix(",0").map_or(text.clone(), str::to_string);
    format!("{sign}Rp {text}{unit}")
}

/// A round axis top with room above `max` (at least a fifth more, so the tallest bar stays
/// clear of the legend): 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten.
pub fn nice_ceiling(max: i64) -> i64 {
    if max <= 0 {
        return 1;
    }
    let target = max.saturating_add(max / 5).max(max + 1);
    let mut step = 1i64;
    loop {
        for tenths in [10, 15, 20, 25, 30, 40, 50, 60, 80] {
            let scaled = step.saturating_mul(tenths);
            if scaled % 10 == 0 && scaled / 10 >= target {
                return scaled / 10;
            }
        }
        if step > i64::MAX / 100 {
            return i64::MAX;
        }
        step *= 10;
    }
}

/// Draws the chart as a PNG of [`CHART_SIZE`].
pub fn render_chart(data: &ChartData) -> Result<Vec<u8>, ChartError> {
    let days = data.labels.len();
    if days == 0 || data.revenue.len() != days || data.orders.len() != days {
        return Err(ChartError::Shape(format!(
            "{} labels, {} revenue, {} orders",
            days,
            data.revenue.len(),
            data.orders.len()
        )));
    }
    font_ready()?;
    let (width, height) = CHART_SIZE;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let top_revenue = nice_ceiling(data.revenue.iter().copied().max().unwrap_or(0));
        let top_orders = nice_ceiling(data.orders.iter().copied().max().unwrap_or(0)).max(5);
        let n = days as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(&data.title, (FAMILY, 34).into_font().color(&TEXT))
            .margin(20)
            .x_label_area_size(56)
            .y_label_area_size(130)
            .right_y_label_area_size(80)
            // An integer range's end is a key point too: `0..n - 1` has n segments.
            .build_cartesian_2d((0..n - 1).into_segmented(), 0i64..top_revenue)
            .map_err(draw_err)?
            .set_secondary_coord((0..n - 1).into_segmented(), 0i64..top_orders);
        let labels = &data.labels;
        // At most about 10 day labels fit at this size; show every k-th day.
        let every = days.div_ceil(10).max(1);
        let x_label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                let i = *i as usize;
                if i < labels.len() && i.is_multiple_of(every) {
                    labels[i].clone()
                } else {
                    String::new()
                }
            }
            SegmentValue::Last => String::new(),
        };
        let y_label = |v: &i64| rupiah_short(*v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_labels(days)
            .x_label_formatter(&x_label)
            .y_labels(6)
            .y_label_formatter(&y_label)
            .label_style((FAMILY, 22).into_font().color(&TEXT))
            .axis_desc_style((FAMILY, 24).into_font().color(&TEXT))
            .y_desc("Omzet")
            .draw()
            .map_err(draw_err)?;
        chart
            .configure_secondary_axes()
            .y_labels(6)
            .y_label_formatter(&|v: &i64| v.to_string())
            .label_style((FAMILY, 22).into_font().color(&LINE))
            .axis_desc_style((FAMILY, 24).into_font().color(&LINE))
            .y_desc("Pesanan")
            .draw()
            .map_err(draw_err)?;

        chart
            .draw_series(data.revenue.iter().enumerate().map(|(i, v)| {
                let i = i as u32;
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    BAR.filled(),
                );
                bar.set_margin(0, 0, bar_margin(days), bar_margin(days));
                bar
            }))
            .map_err(draw_err)?
            .label("Omzet (dibayar)")
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], BAR.filled()));
        let points: Vec<(SegmentValue<u32>, i64)> = data
            .orders
            .iter()
            .enumerate()
            .map(|(i, v)| (SegmentValue::CenterOf(i as u32), *v))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(points.clone(), LINE.stroke_width(4)))
            .map_err(draw_err)?
            .label("Pesanan dibayar")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], LINE.stroke_width(4)));
        chart
            .draw_secondary_series(points.into_iter().map(|p| Circle::new(p, 6, LINE.filled())))
            .map_err(draw_err)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 22).into_font().color(&TEXT))
            .background_style(WHITE.mix(0.85))
            .border_style(GRID)
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    encode_png(&rgb, width, height)
}

/// Space on each side of a bar, in pixels: thinner gaps when there are many days.
fn bar_margin(days: usize) -> u32 {
    match days {
        0..=7 => 18,
        8..=15 => 8,
        _ => 3,
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ChartError::Png(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| ChartError::Png(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| ChartError::Png(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a PNG frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn week(revenue: [i64; 7], orders: [i64; 7]) -> ChartData {
        ChartData {
            title: "7 hari terakhir, 15/11–21/11/2026".into(),
            labels: (15..=21).map(|d| format!("{d}/11")).collect(),
            revenue: revenue.to_vec(),
            orders: orders.to_vec(),
        }
    }

    #[test]
    fn rupiah_axis_labels_are_short_and_indonesian() {
        assert_eq!(rupiah_short(0), "Rp 0");
        assert_eq!(rupiah_short(750), "Rp 750");
        assert_eq!(rupiah_short(15_000), "Rp 15 rb");
        assert_eq!(rupiah_short(2_500), "Rp 2,5 rb");
        assert_eq!(rupiah_short(1_200_000), "Rp 1,2 jt");
        assert_eq!(rupiah_short(1_000_000), "Rp 1 jt");
        assert_eq!(rupiah_short(15_000_000), "Rp 15 jt");
        assert_eq!(rupiah_short(9_960_000), "Rp 10 jt");
        assert_eq!(rupiah_short(1_500_000_000), "Rp 1,5 M");
        assert_eq!(rupiah_short(-2_000), "-Rp 2 rb");
    }

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 2);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(10), 15);
        assert_eq!(nice_ceiling(12), 15);
        assert_eq!(nice_ceiling(2_000_000), 2_500_000);
        assert_eq!(nice_ceiling(21_000_000), 30_000_000);
        assert_eq!(nice_ceiling(26_000_000), 40_000_000);
        assert_eq!(nice_ceiling(55_000), 80_000);
        assert_eq!(nice_ceiling(i64::MAX / 2), i64::MAX);
    }

    #[test]
    fn the_chart_is_a_png_of_the_expected_size_and_changes_with_the_data() {
        let quiet = week([0; 7], [0; 7]);
        let busy = week(
            [120_000, 0, 450_000, 1_250_000, 300_000, 90_000, 2_000_000],
            [2, 0, 5, 9, 3, 1, 12],
        );
        let (w, h, quiet_pixels) = decode(&render_chart(&quiet).unwrap());
        assert_eq!((w, h), CHART_SIZE);
        let (w, h, busy_pixels) = decode(&render_chart(&busy).unwrap());
        assert_eq!((w, h), CHART_SIZE);
        assert_ne!(quiet_pixels, busy_pixels, "the data shows in the picture");
        // The bars are drawn in the bar colour; an empty week has none of it.
        let bar_pixels = |px: &[u8]| px.chunks(3).filter(|c| c == &[BAR.0, BAR.1, BAR.2]).count();
        assert!(
            bar_pixels(&busy_pixels) > 1_000,
            "{}",
            bar_pixels(&busy_pixels)
        );
        assert!(
            bar_pixels(&quiet_pixels) < 500,
            "only the legend swatch: {}",
            bar_pixels(&quiet_pixels)
        );
        // Rendering is deterministic: the same data gives the same picture.
        assert_eq!(decode(&render_chart(&busy).unwrap()).2, busy_pixels);
        // Text is drawn: the title area is not blank.
        let title_row = &busy_pixels[(30 * w as usize * 3)..(45 * w as usize * 3)];
        assert!(
            title_row.chunks(3).any(|c| c[0] < 128),
            "the title is drawn with the embedded font"
        );
    }

    #[test]
    fn a_month_of_days_renders_and_a_bad_shape_is_refused() {
        let days = 31;
        let data = ChartData {
            title: "Desember 2026".into(),
            labels: (1..=days).map(|d| format!("{d:02}/12")).collect(),
            revenue: (0..days as i64).map(|d| d * 100_000).collect(),
            orders: (0..days as i64).collect(),
        };
        let (w, h, _) = decode(&render_chart(&data).unwrap());
        assert_eq!((w, h), CHART_SIZE);
        let one_day = ChartData {
            title: "Hari ini".into(),
            labels: vec!["21/11".into()],
            revenue: vec![50_000],
            orders: vec![2],
        };
        assert_eq!(decode(&render_chart(&one_day).unwrap()).0, CHART_SIZE.0);
        let mut bad = data.clone();
        bad.orders.pop();
        assert!(matches!(render_chart(&bad), Err(ChartError::Shape(_))));
    }
}
