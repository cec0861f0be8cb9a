//! The admin menu: the summary line, the sections, and the Mode Pembeli switch.

use autoorder_schema::queries::admin::summary::AdminSummary;

use super::callback::{AdminCallback, Section};
use super::keyboards::button;
use super::screen::Screen;
use super::texts;

/// Whether a section works in this build (every section has its handlers now; kept so a
/// section can be switched off while it is reworked).
pub fn is_available(section: Section) -> bool {
    let _ = section;
    true
}

/// The admin menu (`/admin`, *Admin*, 🏠).
pub fn main_menu(store_name: &str, summary: &AdminSummary, buyer_mode: bool) -> Screen {
    let section = |s: Section| button(texts::section_label(s), AdminCallback::Section(s));
    Screen::new(
        texts::menu(store_name, summary, buyer_mode),
        vec![
            vec![section(Section::Products), section(Section::Stock)],
            vec![section(Section::Snk), section(Section::Vouchers)],
            vec![section(Section::Orders), section(Section::Users)],
            vec![section(Section::Broadcast), section(Section::Respon)],
            vec![section(Section::Reports)],
            vec![button(
                texts::buyer_mode_label(buyer_mode),
                AdminCallback::BuyerMode(!buyer_mode),
            )],
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_offers_every_section_and_the_switch() {
        let summary = AdminSummary {
            users: 3,
            orders_today: 1,
            low_stock: 0,
        };
        let screen = main_menu("Toko", &summary, false);
        let data = screen.callbacks();
        for section in Section::ALL {
            assert!(
                data.contains(&AdminCallback::Section(section).wire()),
                "{section:?}"
            );
        }
        assert!(data.contains(&AdminCallback::BuyerMode(true).wire()));
        let on = main_menu("Toko", &summary, true);
        assert!(
            on.callbacks()
                .contains(&AdminCallback::BuyerMode(false).wire())
        );
        assert!(on.text.contains("Mode Pembeli sedang aktif"));
        assert!(Section::ALL.into_iter().all(is_available));
    }
}
