//! *Broadcast* section: compose (a text, a photo with caption, or any message forwarded to be
//! copied), pick the audience (everyone reachable, buyers of a product, active in the last N
//! days) with its recipient count, confirm after a preview, then a live progress message with
//! *Jeda* / *Lanjut* / *Batalkan*. Pure: what a seller's message becomes, texts, keyboards,
//! typed actions and the rate / ETA arithmetic — and [`queue_progress_edit`], which the queue
//! calls to keep the seller's progress message current. Sending is the one broadcast engine
//! (`autoorder_schema::queries::broadcasts` + the queue), shared with `autoorder broadcast`.

use chrono_tz::Tz;

use autoorder_schema::queries::broadcasts::{
    Audience, BodyKind, BroadcastBody, BroadcastState, BroadcastSummary, MAX_ACTIVE_DAYS,
    PhotoSource, Progress, RATE_WINDOW_MS,
};

use super::ui::{self, AreaAction, Btn, Fields, Screen};
use crate::format::local_time;

/// Telegram's limits, in UTF-16 code units as Telegram counts them.
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
/// The "active in the last N days" presets.
pub const DAY_PRESETS: [u32; 3] = [7, 30, 90];
/// The progress message is edited at most this often.
pub const PROGRESS_EDIT_MS: i64 = 3_000;

/// Which kind of audience the seller picked (the product or day count comes next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceKind {
    All,
    Buyers,
    Active,
}

/// What the Broadcast section's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastAction {
    /// The section menu: recent broadcasts and *Broadcast Baru*.
    Menu {
        page: u32,
    },
    /// *✍️ Broadcast Baru*: the next message is the content (a wizard step).
    New,
    /// An audience kind was picked.
    Audience(AudienceKind),
    /// A page of the product picker (buyers of a product).
    Products {
        page: u32,
    },
    /// A product was picked.
    Product {
        product_id: i64,
    },
    /// A preset of "active in the last N days".
    Days {
        days: u32,
    },
    /// *✅ Kirim*: the confirmation after the preview.
    Send,
    /// Refresh a broadcast's progress (or open it from the menu).
    Progress {
        id: i64,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    /// *Batalkan*: asks for confirmation.
    Cancel {
        id: i64,
    },
    ConfirmCancel {
        id: i64,
    },
}

impl AreaAction for BroadcastAction {
    fn encode(&self) -> String {
        match self {
            BroadcastAction::Menu { page } => format!("m:{page}"),
            BroadcastAction::New => "n".into(),
            BroadcastAction::Audience(kind) => format!(
                "a:{}",
                match kind {
                    AudienceKind::All => "all",
                    AudienceKind::Buyers => "buy",
                    AudienceKind::Active => "act",
                }
            ),
            BroadcastAction::Products { page } => format!("ps:{page}"),
            BroadcastAction::Product { product_id } => format!("p:{product_id}"),
            BroadcastAction::Days { days } => format!("d:{days}"),
            BroadcastAction::Send => "go".into(),
            BroadcastAction::Progress { id } => format!("g:{id}"),
            BroadcastAction::Pause { id } => format!("pa:{id}"),
            BroadcastAction::Resume { id } => format!("re:{id}"),
            BroadcastAction::Cancel { id } => format!("x:{id}"),
            BroadcastAction::ConfirmCancel { id } => format!("xy:{id}"),
        }
    }

    fn decode(text: &str) -> Option<BroadcastAction> {
        let mut f = Fields::of(text);
        let action = match f.text()? {
            "m" => BroadcastAction::Menu { page: f.num()? },
            "n" => BroadcastAction::New,
            "a" => BroadcastAction::Audience(match f.text()? {
                "all" => AudienceKind::All,
                "buy" => AudienceKind::Buyers,
                "act" => AudienceKind::Active,
                _ => return None,
            }),
            "ps" => BroadcastAction::Products { page: f.num()? },
            "p" => BroadcastAction::Product {
                product_id: f.num()?,
            },
            "d" => {
                let days: u32 = f.num()?;
                if days == 0 || days > MAX_ACTIVE_DAYS {
                    return None;
                }
                BroadcastAction::Days { days }
            }
            "go" => BroadcastAction::Send,
            "g" => BroadcastAction::Progress { id: f.num()? },
            "pa" => BroadcastAction::Pause { id: f.num()? },
            "re" => BroadcastAction::Resume { id: f.num()? },
            "x" => BroadcastAction::Cancel { id: f.num()? },
            "xy" => BroadcastAction::ConfirmCancel { id: f.num()? },
            _ => return None,
        };
        f.done(action)
    }
}

/// What the bot knows of the message a seller sent as broadcast content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SellerMessage<'a> {
    pub chat_id: i64,
    pub message_id: i64,
    pub text: Option<&'a str>,
    pub caption: Option<&'a str>,
    /// The largest size's file id, when the message is a photo.
    pub photo_file_id: Option<&'a str>,
    /// The seller forwarded it (from a channel, another chat, …).
    pub forwarded: bool,
    /// Text with formatting (bold, links, …) that a plain resend would lose.
    pub formatted: bool,
}

/// Why a message cannot be broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ComposeProblem {
    #[error(
        "Pesan kosong. Kirim teks, foto dengan caption, atau teruskan pesan yang ingin disebar."
    )]
    Empty,
    #[error("Teks terlalu panjang: {0} karakter, Telegram mengizinkan paling banyak 4096.")]
    TextTooLong(usize),
    #[error("Caption terlalu panjang: {0} karakter, Telegram mengizinkan paling banyak 1024.")]
    CaptionTooLong(usize),
}

/// What a seller's message becomes: their own plain text → a text broadcast; their own photo →
/// a photo broadcast with its caption (reused by file id, nothing re-uploaded); anything else —
/// forwarded, formatted, video, sticker, document, … — is copied as it is with `copyMessage`,
/// so customers see exactly what the seller saw.
pub fn compose(msg: &SellerMessage<'_>) -> Result<BroadcastBody, ComposeProblem> {
    let copy = BroadcastBody::Copy {
        from_chat_id: msg.chat_id,
        message_id: msg.message_id,
    };
    if msg.forwarded || msg.formatted {
        return Ok(copy);
    }
    match (msg.text, msg.photo_file_id) {
        (Some(text), None) => {
            let text = text.trim();
            if text.is_empty() {
                return Err(ComposeProblem::Empty);
            }
            let len = text.encode_utf16().count();
            if len > MAX_TEXT {
                return Err(ComposeProblem::TextTooLong(len));
            }
            Ok(BroadcastBody::Text { text: text.into() })
        }
        (_, Some(file_id)) => {
            let caption = msg.caption.unwrap_or("").trim();
            let len = caption.encode_utf16().count();
            if len > MAX_CAPTION {
                return Err(ComposeProblem::CaptionTooLong(len));
            }
            Ok(BroadcastBody::Photo {
                caption: caption.into(),
                photo: PhotoSource::FileId(file_id.into()),
            })
        }
        (None, None) => Ok(copy),
    }
}

/// The compose prompt.
pub const COMPOSE_PROMPT: &str = "✍️ Kirim isi broadcast: teks, foto dengan caption, atau \
     teruskan (forward) pesan apa pun untuk disalin apa adanya.";

/// Who an audience is, as sellers read it. `product` is the name of a "buyers of" product.
pub fn audience_label(audience: &Audience, product: Option<&str>) -> String {
    match audience {
        Audience::All => "semua pelanggan yang bisa dihubungi".into(),
        Audience::BuyersOf { product_id } => match product {
            Some(name) => format!("pembeli {name}"),
            None => format!("pembeli produk #{product_id}"),
        },
        Audience::ActiveWithin { days } => format!("pelanggan aktif {days} hari terakhir"),
    }
}

/// The audience picker.
pub fn audience_screen() -> Screen<BroadcastAction> {
    Screen {
        text: "👥 Kirim ke siapa?".into(),
        rows: vec![
            vec![Btn::act(
                "📢 Semua pelanggan",
                BroadcastAction::Audience(AudienceKind::All),
            )],
            vec![Btn::act(
                "🛍️ Pembeli produk…",
                BroadcastAction::Audience(AudienceKind::Buyers),
            )],
            vec![Btn::act(
                "🕒 Aktif N hari terakhir…",
                BroadcastAction::Audience(AudienceKind::Active),
            )],
        ],
    }
}

/// The "active in the last N days" presets (another number can be typed).
pub fn days_screen() -> Screen<BroadcastAction> {
    Screen {
        text: format!(
            "🕒 Pelanggan yang aktif berapa hari terakhir? Pilih, atau ketik angka 1–{MAX_ACTIVE_DAYS}."
        ),
        rows: vec![
            DAY_PRESETS
                .iter()
                .map(|d| Btn::act(format!("{d} hari"), BroadcastAction::Days { days: *d }))
                .collect(),
        ],
    }
}

/// Reads a typed day count for "active in the last N days".
pub fn parse_days(text: &str) -> Option<u32> {
    let days: u32 = text.trim().parse().ok()?;
    (1..=MAX_ACTIVE_DAYS).contains(&days).then_some(days)
}

/// The product picker: `products` is one page of (id, name).
pub fn products_screen(
    products: &[(i64, String)],
    page: u32,
    total: i64,
) -> Screen<BroadcastAction> {
    let mut rows: Vec<Vec<Btn<BroadcastAction>>> = products
        .iter()
        .map(|(id, name)| {
            vec![Btn::act(
                ui::clip(name, 40),
                BroadcastAction::Product { product_id: *id },
            )]
        })
        .collect();
    rows.push(ui::pager(page, total, |page| BroadcastAction::Products {
        page,
    }));
    rows.retain(|r| !r.is_empty());
    Screen {
        text: if products.is_empty() {
            "Belum ada produk.".into()
        } else {
            "🛍️ Pembeli produk mana?".into()
        },
        rows,
    }
}

/// Sent just before the preview.
pub const PREVIEW_HEADER: &str =
    "👀 Pratinjau — pesan berikut persis seperti yang akan diterima pelanggan:";

/// The confirmation after the preview: who and how many. Nobody to send to: no *Kirim*.
pub fn confirm_screen(audience: &str, recipients: usize) -> Screen<BroadcastAction> {
    if recipients == 0 {
        return Screen {
            text: format!(
                "Tidak ada penerima: {audience} — belum ada yang cocok. Pilih penerima lain."
            ),
            rows: vec![vec![Btn::act(
                "👥 Pilih penerima lain",
                BroadcastAction::New,
            )]],
        };
    }
    Screen {
        text: format!("Kirim broadcast di atas ke {recipients} pelanggan ({audience})?"),
        rows: vec![vec![Btn::act(
            format!("✅ Kirim ke {recipients}"),
            BroadcastAction::Send,
        )]],
    }
}

/// Sending figures derived from a [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// Recipients finished per second, over the last [`RATE_WINDOW_MS`] (or since the start
    /// when younger).
    pub per_second: f64,
    /// Seconds until every pending recipient is done at that pace; `None` when nothing is
    /// moving (paused, just started, or finished).
    pub eta_seconds: Option<u64>,
}

/// The rate and ETA of a broadcast.
pub fn pace(p: &Progress) -> Pace {
    let window = RATE_WINDOW_MS.min((p.at - p.created_at).max(1_000));
    let per_second = p.recent_finished as f64 * 1_000.0 / window as f64;
    let running = p.state == BroadcastState::Running.as_str();
    let eta_seconds = (running && p.pending > 0 && per_second > 0.0)
        .then(|| (p.pending as f64 / per_second).ceil() as u64);
    Pace {
        per_second,
        eta_seconds,
    }
}

/// `± 45 dtk`, `± 3 mnt 20 dtk`, `± 1 jam 5 mnt`.
pub fn duration_label(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("± {s} dtk"),
        (0, _) if s == 0 => format!("± {m} mnt"),
        (0, _) => format!("± {m} mnt {s} dtk"),
        _ => format!("± {h} jam {m} mnt"),
    }
}

fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "▶️ berjalan",
        "paused" => "⏸ dijeda",
        "cancelled" => "⛔ dibatalkan",
        "done" => "✅ selesai",
        _ => "?",
    }
}

/// The live progress message: counts, rate, ETA and the buttons of its state.
pub fn progress_screen(p: &Progress, audience: &str, tz: &Tz) -> Screen<BroadcastAction> {
    let pace = pace(p);
    let done = p.sent + p.failed + p.blocked;
    let percent = if p.total > 0 {
        done * 100 / p.total
    } else {
        100
    };
    let mut text = format!(
        "📢 Broadcast #{} — {}\nPenerima: {} ({audience})\n\n✅ Terkirim: {}\n❌ Gagal: {}\n🚫 Memblokir bot: {}\n⏳ Menunggu: {}",
        p.id,
        state_label(&p.state),
        p.total,
        p.sent,
        p.failed,
        p.blocked,
        p.pending,
    );
    if p.cancelled > 0 {
        text.push_str(&format!("\n⛔ Dibatalkan: {}", p.cancelled));
    }
    text.push_str(&format!("\n\nProgres: {percent}%"));
    if p.state == BroadcastState::Running.as_str() {
        text.push_str(&format!("\nKecepatan: {:.1} pesan/dtk", pace.per_second));
        match pace.eta_seconds {
            Some(eta) => text.push_str(&format!("\nPerkiraan selesai: {}", duration_label(eta))),
            None if p.pending > 0 => text.push_str("\nPerkiraan selesai: menghitung…"),
            None => {}
        }
    }
    text.push_str(&format!("\nDiperbarui: {}", local_time(p.at, tz)));
    let id = p.id;
    let rows = match p.state.as_str() {
        "running" => vec![vec![
            Btn::act("⏸ Jeda", BroadcastAction::Pause { id }),
            Btn::act("⛔ Batalkan", BroadcastAction::Cancel { id }),
        ]],
        "paused" => vec![vec![
            Btn::act("▶️ Lanjut", BroadcastAction::Resume { id }),
            Btn::act("⛔ Batalkan", BroadcastAction::Cancel { id }),
        ]],
        _ => vec![vec![Btn::act(
            "📋 Daftar Broadcast",
            BroadcastAction::Menu { page: 0 },
        )]],
    };
    Screen { text, rows }
}

/// The confirmation before a broadcast is cancelled.
pub fn cancel_confirm(id: i64, pending: i64) -> Screen<BroadcastAction> {
    Screen {
        text: format!(
            "Batalkan broadcast #{id}? {pending} penerima yang belum terkirim tidak akan menerimanya."
        ),
        rows: vec![vec![
            Btn::act("✔️ Ya, batalkan", BroadcastAction::ConfirmCancel { id }),
            Btn::act("✖️ Tidak", BroadcastAction::Progress { id }),
        ]],
    }
}

/// The section menu: recent broadcasts (one page) and *Broadcast Baru*.
pub fn menu_screen(
    recent: &[BroadcastSummary],
    page: u32,
    total: i64,
    tz: &Tz,
) -> Screen<BroadcastAction> {
    let mut text = String::from("📢 Broadcast\n");
    if recent.is_empty() {
        text.push_str("\nBelum ada broadcast.");
    }
    let mut rows = vec![vec![Btn::act("✍️ Broadcast Baru", BroadcastAction::New)]];
    for b in recent {
        let kind = match b.kind {
            BodyKind::Text => "📝",
            BodyKind::Photo => "🖼️",
            BodyKind::Copy => "📨",
        };
        let preview = if b.text.is_empty() {
            "(pesan disalin)".to_string()
        } else {
            ui::clip(&b.text, 40)
        };
        text.push_str(&format!(
            "\n#{} {kind} {} · {} · {}\n   {}",
            b.id,
            state_label(b.state.as_str()),
            audience_label(&b.audience, None),
            local_time(b.created_at, tz),
            preview
        ));
        rows.push(vec![Btn::act(
            format!("#{} {kind} {}", b.id, state_label(b.state.as_str())),
            BroadcastAction::Progress { id: b.id },
        )]);
    }
    rows.push(ui::pager(page, total, |page| BroadcastAction::Menu {
        page,
    }));
    rows.push(vec![Btn::admin_menu()]);
    rows.retain(|r| !r.is_empty());
    Screen { text, rows }
}

/// The live progress message of broadcast `id` brought up to date: when the seller has one
/// and either nobody is pending any more (the last figures always land) or the throttle lets
/// an edit through now (at most one per [`PROGRESS_EDIT_MS`], across workers and replicas),
/// an edit of it is written to the outbox. Called by the queue after each recipient is done;
/// returns whether an edit was queued (the caller wakes the outbox).
pub fn queue_progress_edit(
    conn: &mut autoorder_schema::DbConnection,
    id: i64,
    tz: &Tz,
    expires_at: i64,
) -> Result<bool, autoorder_schema::StoreError> {
    use autoorder_schema::queries::broadcasts::{
        broadcast_audience, broadcast_progress, claim_progress_edit, progress_message,
    };
    use autoorder_schema::queries::outbox::{NewOutbox, OutboxLane, insert_outbox};
    let Some((chat_id, message_id)) = progress_message(conn, id)? else {
        return Ok(false);
    };
    let Some(p) = broadcast_progress(conn, id)? else {
        return Ok(false);
    };
    let last = p.pending == 0;
    if !claim_progress_edit(conn, id, p.at, PROGRESS_EDIT_MS)? && !last {
        return Ok(false);
    }
    let audience = broadcast_audience(conn, id)?.unwrap_or(Audience::All);
    let screen = progress_screen(&p, &audience_label(&audience, None), tz);
    let effect = crate::send::Effect::Edit {
        message_id: i32::try_from(message_id).unwrap_or(i32::MAX),
        text: screen.text.clone(),
        markup: Some(ui::keyboard(ui::area::BROADCAST, &screen.rows)),
        or_send: false,
    };
    insert_outbox(
        conn,
        &[NewOutbox {
            chat_id,
            lane: OutboxLane::Reply,
            payload: effect.to_json(),
            update_id: None,
            expires_at,
        }],
        true,
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::ui::testing::round_trips;

    const TZ: Tz = chrono_tz::Asia::Jakarta;
    const NOW: i64 = 1_795_230_000_000;

    fn message<'a>() -> SellerMessage<'a> {
        SellerMessage {
            chat_id: 99,
            message_id: 1234,
            text: None,
            caption: None,
            photo_file_id: None,
            forwarded: false,
            formatted: false,
        }
    }

    fn progress(state: &str, sent: i64, pending: i64, recent: i64, age_ms: i64) -> Progress {
        Progress {
            id: 5,
            state: state.into(),
            total: sent + pending,
            sent,
            pending,
            created_at: NOW - age_ms,
            recent_finished: recent,
            at: NOW,
            ..Progress::default()
        }
    }

    #[test]
    fn every_action_round_trips_within_the_limit() {
        for action in [
            BroadcastAction::Menu { page: u32::MAX },
            BroadcastAction::New,
            BroadcastAction::Audience(AudienceKind::All),
            BroadcastAction::Audience(AudienceKind::Buyers),
            BroadcastAction::Audience(AudienceKind::Active),
            BroadcastAction::Products { page: u32::MAX },
            BroadcastAction::Product {
                product_id: i64::MAX,
            },
            BroadcastAction::Days {
                days: MAX_ACTIVE_DAYS,
            },
            BroadcastAction::Send,
            BroadcastAction::Progress { id: i64::MAX },
            BroadcastAction::Pause { id: 1 },
            BroadcastAction::Resume { id: 1 },
            BroadcastAction::Cancel { id: 1 },
            BroadcastAction::ConfirmCancel { id: 1 },
        ] {
            round_trips(&action);
        }
        for forged in ["", "a:vip", "d:0", "d:366", "go:1", "g:", "xy:1:2", "m"] {
            assert_eq!(BroadcastAction::decode(forged), None, "{forged}");
        }
    }

    #[test]
    fn a_message_becomes_text_photo_or_copy() {
        let text = SellerMessage {
            text: Some("  Promo hari ini  "),
            ..message()
        };
        assert!(
            matches!(compose(&text), Ok(BroadcastBody::Text { text }) if text == "Promo hari ini")
        );
        let photo = SellerMessage {
            photo_file_id: Some("AgAC"),
            caption: Some("Diskon"),
            ..message()
        };
        assert!(
            matches!(compose(&photo), Ok(BroadcastBody::Photo { caption, photo: PhotoSource::FileId(id) }) if caption == "Diskon" && id == "AgAC")
        );
        let forwarded = SellerMessage {
            text: Some("dari channel"),
            forwarded: true,
            ..message()
        };
        assert!(matches!(
            compose(&forwarded),
            Ok(BroadcastBody::Copy {
                from_chat_id: 99,
                message_id: 1234
            })
        ));
        let bold = SellerMessage {
            text: Some("*tebal*"),
            formatted: true,
            ..message()
        };
        assert!(
            matches!(compose(&bold), Ok(BroadcastBody::Copy { .. })),
            "formatting is kept by copying"
        );
        let sticker = message();
        assert!(matches!(compose(&sticker), Ok(BroadcastBody::Copy { .. })));
        assert_eq!(
            compose(&SellerMessage {
                text: Some("   "),
                ..message()
            })
            .unwrap_err(),
            ComposeProblem::Empty
        );
        let long = "é".repeat(4097);
        assert_eq!(
            compose(&SellerMessage {
                text: Some(&long),
                ..message()
            })
            .unwrap_err(),
            ComposeProblem::TextTooLong(4097)
        );
        let emoji = "😀".repeat(513); // two UTF-16 units each: 1026
        assert_eq!(
            compose(&SellerMessage {
                photo_file_id: Some("AgAC"),
                caption: Some(&emoji),
                ..message()
            })
            .unwrap_err(),
            ComposeProblem::CaptionTooLong(1026)
        );
    }

    #[test]
    fn pace_and_eta_follow_the_recent_rate() {
        // 300 finished in the last 30 s: 10/s; 600 pending: 60 s.
        let p = progress("running", 900, 600, 300, 120_000);
        let pace = pace(&p);
        assert!((pace.per_second - 10.0).abs() < 1e-9);
        assert_eq!(pace.eta_seconds, Some(60));
        // Younger than the window: measured since the start.
        let young = progress("running", 50, 950, 50, 5_000);
        assert!((super::pace(&young).per_second - 10.0).abs() < 1e-9);
        assert_eq!(
            super::pace(&progress("paused", 10, 90, 0, 60_000)).eta_seconds,
            None
        );
        assert_eq!(
            super::pace(&progress("running", 0, 90, 0, 60_000)).eta_seconds,
            None,
            "nothing moving yet"
        );
        assert_eq!(
            super::pace(&progress("done", 100, 0, 40, 60_000)).eta_seconds,
            None
        );
        assert_eq!(duration_label(45), "± 45 dtk");
        assert_eq!(duration_label(200), "± 3 mnt 20 dtk");
        assert_eq!(duration_label(180), "± 3 mnt");
        assert_eq!(duration_label(3_900), "± 1 jam 5 mnt");
    }

    #[test]
    fn the_progress_message_has_the_buttons_of_its_state() {
        let running = progress_screen(
            &progress("running", 900, 600, 300, 120_000),
            "semua pelanggan",
            &TZ,
        );
        for expected in [
            "📢 Broadcast #5 — ▶️ berjalan",
            "✅ Terkirim: 900",
            "⏳ Menunggu: 600",
            "Progres: 60%",
            "Kecepatan: 10.0 pesan/dtk",
            "Perkiraan selesai: ± 1 mnt",
        ] {
            assert!(
                running.text.contains(expected),
                "{expected} in {}",
                running.text
            );
        }
        let actions: Vec<&BroadcastAction> = running.actions().collect();
        assert_eq!(
            actions,
            vec![
                &BroadcastAction::Pause { id: 5 },
                &BroadcastAction::Cancel { id: 5 }
            ]
        );
        let paused = progress_screen(&progress("paused", 10, 90, 0, 60_000), "x", &TZ);
        assert_eq!(
            paused.actions().next(),
            Some(&BroadcastAction::Resume { id: 5 })
        );
        assert!(!paused.text.contains("Perkiraan"));
        let done = progress_screen(&progress("done", 100, 0, 0, 60_000), "x", &TZ);
        assert!(
            done.actions()
                .all(|a| matches!(a, BroadcastAction::Menu { .. }))
        );
        assert!(done.text.contains("Progres: 100%"));
    }

    #[test]
    fn audience_screens_and_labels() {
        assert_eq!(
            audience_label(&Audience::BuyersOf { product_id: 3 }, Some("Netflix")),
            "pembeli Netflix"
        );
        assert_eq!(
            audience_label(&Audience::ActiveWithin { days: 7 }, None),
            "pelanggan aktif 7 hari terakhir"
        );
        assert_eq!(parse_days(" 14 "), Some(14));
        assert_eq!(parse_days("0"), None);
        assert_eq!(parse_days("400"), None);
        assert_eq!(days_screen().actions().count(), 3);
        let none = confirm_screen("pembeli Netflix", 0);
        assert!(
            !none.actions().any(|a| *a == BroadcastAction::Send),
            "nobody to send to: no Kirim"
        );
        let some = confirm_screen("semua pelanggan", 42);
        assert_eq!(some.rows[0][0].text, "✅ Kirim ke 42");
        let products = products_screen(&[(1, "Netflix".into()), (2, "Spotify".into())], 0, 20);
        assert!(
            products
                .actions()
                .any(|a| *a == BroadcastAction::Products { page: 1 })
        );
        for action in audience_screen().actions().chain(products.actions()) {
            round_trips(action);
        }
    }
}
