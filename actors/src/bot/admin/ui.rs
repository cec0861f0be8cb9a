//! The screen model of the part-2 admin sections (Order, User, Broadcast, Laporan): a screen
//! is a text and rows of buttons, each button a typed action of its section — so texts and
//! keyboards are pure functions, tested without Telegram, and the admin framework turns an
//! action into callback data (its admin prefix + the section's [`AreaAction::encode`]).
//!
//! Also the compact callback encoding the sections share: colon-separated fields, numbers in
//! decimal, every field checked on the way back so a forged or stale press decodes to `None`.

use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callback::AdminCallback;

/// The area codes of part 2's buttons (the admin framework's codes `@m @s @b @w @p @c @k @n @v
/// @r @.` are taken): a button's data is the code, `:`, and the section's encoded action.
pub mod area {
    /// *Order*.
    pub const ORDERS: &str = "@o";
    /// *User*.
    pub const USERS: &str = "@u";
    /// *Broadcast*.
    pub const BROADCAST: &str = "@x";
    /// *Laporan*.
    pub const REPORTS: &str = "@l";
}

/// The callback data of a section button under `area`.
pub fn wire<A: AreaAction>(area: &str, press: &Press<A>) -> String {
    match press {
        Press::Do(action) => format!("{area}:{}", action.encode()),
        Press::AdminMenu => AdminCallback::Menu.wire(),
        Press::Noop => AdminCallback::Noop.wire(),
    }
}

/// The inline keyboard of a section screen, its buttons under `area` (empty rows dropped).
pub fn keyboard<A: AreaAction>(area: &str, rows: &[Vec<Btn<A>>]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(
        rows.iter()
            .filter(|r| !r.is_empty())
            .map(|row| {
                row.iter()
                    .map(|b| InlineKeyboardButton::callback(b.text.clone(), wire(area, &b.press)))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>(),
    )
}

/// Bytes a section's encoded action may use: Telegram allows 64 for the whole
/// `callback_data`, and the admin framework's prefix and section tag need a few.
pub const MAX_ACTION_BYTES: usize = 48;

/// Rows per page of every admin list (a phone screen of buttons).
pub const PER_PAGE: u32 = 8;

/// A section's typed button actions, with their compact wire form.
pub trait AreaAction: Sized {
    /// The wire form (at most [`MAX_ACTION_BYTES`]; tests check the longest of each variant).
    fn encode(&self) -> String;
    /// Reads the wire form; `None` for anything this section did not write.
    fn decode(text: &str) -> Option<Self>;
}

/// What pressing a button does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Press<A> {
    /// An action of the section.
    Do(A),
    /// Back to the admin main menu (the framework's).
    AdminMenu,
    /// A label that does nothing (page numbers).
    Noop,
}

/// One inline button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Btn<A> {
    pub text: String,
    pub press: Press<A>,
}

impl<A> Btn<A> {
    /// A button that runs `action`.
    pub fn act(text: impl Into<String>, action: A) -> Btn<A> {
        Btn {
            text: text.into(),
            press: Press::Do(action),
        }
    }

    /// *🏠 Menu Admin*.
    pub fn admin_menu() -> Btn<A> {
        Btn {
            text: BTN_ADMIN_MENU.into(),
            press: Press::AdminMenu,
        }
    }

    /// A label.
    pub fn label(text: impl Into<String>) -> Btn<A> {
        Btn {
            text: text.into(),
            press: Press::Noop,
        }
    }
}

/// A screen: its text and its inline keyboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen<A> {
    pub text: String,
    pub rows: Vec<Vec<Btn<A>>>,
}

impl<A> Screen<A> {
    /// Every action on the screen (tests: each one encodes, fits and decodes).
    pub fn actions(&self) -> impl Iterator<Item = &A> {
        self.rows.iter().flatten().filter_map(|b| match &b.press {
            Press::Do(a) => Some(a),
            _ => None,
        })
    }
}

pub const BTN_ADMIN_MENU: &str = "🏠 Menu Admin";
pub const BTN_PREV: &str = "⬅️";
pub const BTN_NEXT: &str = "➡️";
pub const BTN_BACK: &str = "⬅️ Kembali";

/// How many pages `total` items fill.
pub fn pages(total: i64) -> u32 {
    let total = total.max(0) as u64;
    total.div_ceil(u64::from(PER_PAGE)).max(1) as u32
}

/// ⬅️ · page/pages · ➡️ (nothing when everything fits on one page).
pub fn pager<A>(page: u32, total: i64, to: impl Fn(u32) -> A) -> Vec<Btn<A>> {
    let pages = pages(total);
    if pages <= 1 {
        return Vec::new();
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(Btn::act(BTN_PREV, to(page - 1)));
    }
    row.push(Btn::label(format!("{}/{}", page + 1, pages)));
    if page + 1 < pages {
        row.push(Btn::act(BTN_NEXT, to(page + 1)));
    }
    row
}

/// Cuts `text` to at most `max` characters, marking the cut with `…` (button labels,
/// previews).
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Reads colon-separated fields of an encoded action.
pub struct Fields<'a> {
    parts: std::str::Split<'a, char>,
}

impl<'a> Fields<'a> {
    /// The fields of `text`.
    pub fn of(text: &'a str) -> Fields<'a> {
        Fields {
            parts: text.split(':'),
        }
    }

    /// The next field as text.
    pub fn text(&mut self) -> Option<&'a str> {
        self.parts.next()
    }

    /// The next field as a number of the given type (decimal digits only, no sign, no
    /// leading `+`).
    pub fn num<T: std::str::FromStr>(&mut self) -> Option<T> {
        let part = self.parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    }

    /// `Some(value)` when no field is left (trailing junk makes the whole action unknown).
    pub fn done<T>(mut self, value: T) -> Option<T> {
        self.parts.next().is_none().then_some(value)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Checks every section's actions the same way.
    use super::*;

    /// `action` encodes within the limit and decodes back to itself.
    pub fn round_trips<A: AreaAction + PartialEq + std::fmt::Debug>(action: &A) {
        let wire = action.encode();
        assert!(
            wire.len() <= MAX_ACTION_BYTES,
            "{action:?} encodes to {} bytes: {wire}",
            wire.len()
        );
        assert_eq!(A::decode(&wire).as_ref(), Some(action), "{wire}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_pager() {
        assert_eq!(pages(0), 1);
        assert_eq!(pages(8), 1);
        assert_eq!(pages(9), 2);
        assert!(pager(0, 8, |p| p).is_empty());
        let row = pager(0, 20, |p| p);
        assert_eq!(row.len(), 2, "no ⬅️ on the first page");
        assert_eq!(row[0].text, "1/3");
        assert_eq!(row[1].press, Press::Do(1));
        let row = pager(2, 20, |p| p);
        assert_eq!(row.len(), 2, "no ➡️ on the last page");
        assert_eq!(row[0].press, Press::Do(1));
    }

    #[test]
    fn fields_refuse_signs_junk_and_trailing_fields() {
        let mut f = Fields::of("12:x");
        assert_eq!(f.num::<u32>(), Some(12));
        assert_eq!(f.text(), Some("x"));
        assert_eq!(f.done(()), Some(()));
        assert_eq!(Fields::of("-1").num::<i64>(), None);
        assert_eq!(Fields::of("+1").num::<i64>(), None);
        assert_eq!(Fields::of("").num::<i64>(), None);
        assert_eq!(Fields::of("99999999999").num::<u32>(), None);
        let mut f = Fields::of("1:2");
        assert_eq!(f.num::<u32>(), Some(1));
        assert_eq!(f.done(()), None, "a field left over");
    }

    #[test]
    fn keyboards_put_actions_under_their_area_and_keep_the_framework_buttons() {
        #[derive(Debug, Clone, PartialEq, Eq)]
        struct Page(u32);
        impl AreaAction for Page {
            fn encode(&self) -> String {
                format!("p:{}", self.0)
            }
            fn decode(text: &str) -> Option<Page> {
                text.strip_prefix("p:")?.parse().ok().map(Page)
            }
        }
        let rows = vec![
            vec![Btn::act("dua", Page(2)), Btn::label("1/3")],
            vec![],
            vec![Btn::admin_menu()],
        ];
        let kb = keyboard(area::ORDERS, &rows);
        let data: Vec<Vec<String>> = kb
            .inline_keyboard
            .iter()
            .map(|row| {
                row.iter()
                    .map(|b| match &b.kind {
                        teloxide_core::types::InlineKeyboardButtonKind::CallbackData(d) => {
                            d.clone()
                        }
                        _ => String::new(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            data,
            vec![vec!["@o:p:2", "@."], vec!["@m"]],
            "empty rows dropped"
        );
        let codes = [area::ORDERS, area::USERS, area::BROADCAST, area::REPORTS];
        for code in codes {
            assert!(
                ![
                    "@m", "@s", "@b", "@w", "@p", "@c", "@k", "@n", "@v", "@r", "@."
                ]
                .contains(&code),
                "{code} collides with part 1"
            );
        }
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(clip("  pendek ", 10), "pendek");
        assert_eq!(clip("abcdefghijk", 5), "abcd…");
    }
}
