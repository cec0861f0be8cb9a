//! What `import-legacy` shows: a progress bar while importing (on a terminal only), then the
//! counts per table, the opening balances, every note, or every problem.

use std::io::Write;
use std::sync::Mutex;

use autoorder_schema::queries::legacy::{
    ImportProgress, ImportReport, LegacyIssue, LegacyKind, LegacyStore,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::convert::show_rupiah;

/// A bar per table on standard error, drawn only when it is a terminal (indicatif hides it
/// otherwise, so logs and pipes get the summary alone).
pub struct Bar {
    bar: ProgressBar,
    current: Mutex<Option<LegacyKind>>,
}

impl Default for Bar {
    fn default() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg:>26} [{bar:30}] {pos}/{len}") {
            bar.set_style(style.progress_chars("#>-"));
        }
        Bar {
            bar,
            current: Mutex::new(None),
        }
    }
}

impl Bar {
    /// Clears the bar before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl ImportProgress for Bar {
    fn step(&self, kind: LegacyKind, done: usize, total: usize) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if *current != Some(kind) {
            *current = Some(kind);
            self.bar.set_message(kind.legacy_table());
            self.bar.set_length(total as u64);
        }
        self.bar.set_position(done as u64);
    }
}

/// The summary of an import (or of a dry run), on standard output.
pub fn print_summary(
    out: &mut impl Write,
    source: &str,
    store: &LegacyStore,
    report: &ImportReport,
    notes: &[LegacyIssue],
    dry_run: bool,
) -> std::io::Result<()> {
    if dry_run {
        writeln!(
            out,
            "dry run of the import from {source}: nothing was written"
        )?;
        writeln!(out, "it would bring:")?;
    } else {
        writeln!(out, "imported from {source}:")?;
    }
    let read = store.counts();
    for kind in LegacyKind::ALL {
        let counts = report.counts.get(&kind).copied().unwrap_or_default();
        let found = read.get(&kind).copied().unwrap_or_default();
        let mut line = format!(
            "  {:<26} {:>6} imported",
            kind.legacy_table(),
            counts.imported
        );
        if counts.already > 0 {
            line.push_str(&format!(", {} already imported before", counts.already));
        }
        let left = found.saturating_sub(counts.imported + counts.already);
        if left > 0 {
            line.push_str(&format!(", {left} left out (see the notes)"));
        }
        writeln!(out, "{line}")?;
    }
    let ledger_rows = store.users.iter().filter(|u| u.balance > 0).count().min(
        report
            .counts
            .get(&LegacyKind::User)
            .map_or(0, |c| c.imported),
    );
    writeln!(
        out,
        "  opening balances: {} in {ledger_rows} ledger row(s), reason `import`",
        show_rupiah(report.balance_imported)
    )?;
    if notes.is_empty() {
        writeln!(out, "no notes")?;
    } else {
        writeln!(
            out,
            "{} note(s) — read them; none stopped the import:",
            notes.len()
        )?;
        for note in notes {
            writeln!(out, "  {note}")?;
        }
    }
    Ok(())
}

/// Every problem, on standard error, and that nothing was imported.
pub fn print_problems(err: &mut impl Write, problems: &[LegacyIssue]) -> std::io::Result<()> {
    for problem in problems {
        writeln!(err, "{problem}")?;
    }
    writeln!(
        err,
        "{} problem(s) in the old database; nothing was imported",
        problems.len()
    )
}
