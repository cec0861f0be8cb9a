//! Report periods in `BOT_TIMEZONE`: today, the last 7 or 30 days (today included) and a
//! calendar month, turned into the local midnights that bound each day — what
//! [`ReportPeriod`] needs — with a title and a `dd/mm` label per day.

use chrono::{Datelike, Days, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use autoorder_schema::queries::admin::reports::{PeriodProblem, ReportPeriod};

/// Indonesian month names, January first.
pub const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Which period a report covers (what the *Laporan* buttons offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReportRange {
    /// Today, from local midnight.
    Today,
    /// Today and the 6 days before.
    Last7Days,
    /// Today and the 29 days before.
    Last30Days,
    /// A calendar month (`month` 1–12), not in the future.
    Month { year: i32, month: u32 },
}

/// Why a period cannot be reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeProblem {
    #[error("month {0} does not exist (expected 1 to 12)")]
    BadMonth(u32),
    #[error("{0} is outside the years a report can cover")]
    BadYear(i32),
    #[error("that month has not started yet")]
    Future,
    #[error("{0}")]
    Period(#[from] PeriodProblem),
}

/// A resolved period: its bounds, a title and a label per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPeriod {
    pub period: ReportPeriod,
    /// `Hari ini, 21/11/2026`, `7 hari terakhir, 15/11–21/11/2026`, `November 2026`.
    pub title: String,
    /// `dd/mm` for each day.
    pub labels: Vec<String>,
    /// The local dates, first and last.
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The first instant of a local date. Where a daylight-saving change skips midnight, the
/// first instant that exists that day.
fn start_of(date: NaiveDate, tz: &Tz) -> i64 {
    for hour in 0..24 {
        let Some(local) = date.and_hms_opt(hour, 0, 0) else {
            continue;
        };
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.timestamp_millis(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_millis(),
            LocalResult::None => continue,
        }
    }
    // No zone skips a whole day's hours; fall back to UTC midnight rather than panic.
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or(0)
}

/// Today's local date at `now` (epoch ms).
pub fn local_today(now: i64, tz: &Tz) -> NaiveDate {
    Utc.timestamp_millis_opt(now)
        .single()
        .unwrap_or_default()
        .with_timezone(tz)
        .date_naive()
}

impl ReportRange {
    /// The days of this range at `now` in `tz`.
    pub fn resolve(self, now: i64, tz: &Tz) -> Result<LocalPeriod, RangeProblem> {
        let today = local_today(now, tz);
        let (first, last) = match self {
            ReportRange::Today => (today, today),
            ReportRange::Last7Days => (today - Days::new(6), today),
            ReportRange::Last30Days => (today - Days::new(29), today),
            ReportRange::Month { year, month } => {
                if !(1..=12).contains(&month) {
                    return Err(RangeProblem::BadMonth(month));
                }
                if !(2000..=2100).contains(&year) {
                    return Err(RangeProblem::BadYear(year));
                }
                let first =
                    NaiveDate::from_ymd_opt(year, month, 1).ok_or(RangeProblem::BadYear(year))?;
                if first > today {
                    return Err(RangeProblem::Future);
                }
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .ok_or(RangeProblem::BadYear(year))?;
                (first, next - Days::new(1))
            }
        };
        let mut bounds = Vec::new();
        let mut labels = Vec::new();
        let mut day = first;
        while day <= last {
            bounds.push(start_of(day, tz));
            labels.push(day.format("%d/%m").to_string());
            day = day + Days::new(1);
        }
        bounds.push(start_of(day, tz));
        let title = match self {
            ReportRange::Today => format!("Hari ini, {}", today.format("%d/%m/%Y")),
            ReportRange::Last7Days => format!("7 hari terakhir, {}", span(first, last)),
            ReportRange::Last30Days => format!("30 hari terakhir, {}", span(first, last)),
            ReportRange::Month { year, month } => {
                format!("{} {year}", MONTHS[(month - 1) as usize])
            }
        };
        Ok(LocalPeriod {
            period: ReportPeriod::new(bounds)?,
            title,
            labels,
            first,
            last,
        })
    }

    /// The range the chart of this report draws: a single day has one bar, so *today*'s
    /// chart shows the last 7 days (today's bar last) for context.
    pub fn chart_range(self) -> ReportRange {
        match self {
            ReportRange::Today => ReportRange::Last7Days,
            other => other,
        }
    }
}

/// `15/11–21/11/2026`, or with both years when they differ.
fn span(first: NaiveDate, last: NaiveDate) -> String {
    if first.year() == last.year() {
        format!("{}–{}", first.format("%d/%m"), last.format("%d/%m/%Y"))
    } else {
        format!("{}–{}", first.format("%d/%m/%Y"), last.format("%d/%m/%Y"))
    }
}

/// The months a seller can pick for a custom report: this month and the `count - 1` before
/// it, newest first, as (year, month).
pub fn recent_months(now: i64, tz: &Tz, count: usize) -> Vec<(i32, u32)> {
    let today = local_today(now, tz);
    let mut out = Vec::with_capacity(count);
    let (mut year, mut month) = (today.year(), today.month());
    for _ in 0..count {
        out.push((year, month));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAKARTA: Tz = chrono_tz::Asia::Jakarta;
    /// 2026-11-21 10:00 WIB (03:00 UTC).
    const NOW: i64 = 1_795_230_000_000;

    fn utc(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn today_starts_at_local_midnight() {
        assert_eq!(
            local_today(NOW, &JAKARTA),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
        let p = ReportRange::Today.resolve(NOW, &JAKARTA).unwrap();
        assert_eq!(
            p.period.start(),
            utc("2026-11-20T17:00:00Z"),
            "00:00 WIB is 17:00 UTC"
        );
        assert_eq!(p.period.end(), utc("2026-11-21T17:00:00Z"));
        assert_eq!(p.period.days(), 1);
        assert_eq!(p.title, "Hari ini, 21/11/2026");
        assert_eq!(p.labels, vec!["21/11"]);
        // Just before midnight WIB it is still the 21st; just after, the 22nd.
        assert_eq!(local_today(utc("2026-11-21T16:59:59Z"), &JAKARTA).day(), 21);
        assert_eq!(local_today(utc("2026-11-21T17:00:00Z"), &JAKARTA).day(), 22);
    }

    #[test]
    fn seven_and_thirty_days_include_today() {
        let p = ReportRange::Last7Days.resolve(NOW, &JAKARTA).unwrap();
        assert_eq!(p.period.days(), 7);
        assert_eq!(p.labels.first().unwrap(), "15/11");
        assert_eq!(p.labels.last().unwrap(), "21/11");
        assert_eq!(p.title, "7 hari terakhir, 15/11–21/11/2026");
        let p = ReportRange::Last30Days.resolve(NOW, &JAKARTA).unwrap();
        assert_eq!(p.period.days(), 30);
        assert_eq!(p.labels.first().unwrap(), "23/10");
        assert_eq!(p.period.end() - p.period.start(), 30 * 86_400_000);
    }

    #[test]
    fn a_month_has_its_days_and_future_or_bad_months_are_refused() {
        let p = ReportRange::Month {
            year: 2026,
            month: 2,
        }
        .resolve(NOW, &JAKARTA)
        .unwrap();
        assert_eq!(p.period.days(), 28);
        assert_eq!(p.title, "Februari 2026");
        assert_eq!(p.period.start(), utc("2026-01-31T17:00:00Z"));
        let p = ReportRange::Month {
            year: 2024,
            month: 2,
        }
        .resolve(NOW, &JAKARTA)
        .unwrap();
        assert_eq!(p.period.days(), 29, "leap year");
        let p = ReportRange::Month {
            year: 2026,
            month: 11,
        }
        .resolve(NOW, &JAKARTA)
        .unwrap();
        assert_eq!(
            p.period.days(),
            30,
            "the current month is whole, its future days empty"
        );
        assert_eq!(
            ReportRange::Month {
                year: 2026,
                month: 12
            }
            .resolve(NOW, &JAKARTA),
            Err(RangeProblem::Future)
        );
        assert_eq!(
            ReportRange::Month {
                year: 2026,
                month: 13
            }
            .resolve(NOW, &JAKARTA),
            Err(RangeProblem::BadMonth(13))
        );
        assert_eq!(
            ReportRange::Month {
                year: 1999,
                month: 1
            }
            .resolve(NOW, &JAKARTA),
            Err(RangeProblem::BadYear(1999))
        );
    }

    #[test]
    fn days_follow_daylight_saving_where_the_zone_has_it() {
        // Europe/Berlin springs forward on 2026-03-29: that day has 23 hours.
        let berlin: Tz = chrono_tz::Europe::Berlin;
        let p = ReportRange::Month {
            year: 2026,
            month: 3,
        }
        .resolve(NOW, &berlin)
        .unwrap();
        let days: Vec<i64> = p.period.day_starts().to_vec();
        let spring = days[28];
        let next = days[29];
        assert_eq!(next - spring, 23 * 3_600_000);
    }

    #[test]
    fn recent_months_go_back_across_years() {
        let months = recent_months(NOW, &JAKARTA, 12);
        assert_eq!(months.first(), Some(&(2026, 11)));
        assert_eq!(months[10], (2026, 1));
        assert_eq!(months[11], (2025, 12));
    }

    #[test]
    fn the_chart_of_today_shows_a_week() {
        assert_eq!(ReportRange::Today.chart_range(), ReportRange::Last7Days);
        assert_eq!(
            ReportRange::Last30Days.chart_range(),
            ReportRange::Last30Days
        );
    }
}
