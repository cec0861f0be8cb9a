//! Stok screens and the checks of an uploaded file.
//!
//! ```text
//! 📥 Stok → [produk] → kartu stok ─┬─ ➕ Tambah Stok → baris / file .txt .csv → pratinjau → ✅ Simpan → laporan
//!                                  └─ 🗑️ Lihat / Hapus → [☑️ item …] → 🗑️ Hapus yang dipilih → ✅ → laporan
//! ```
//!
//! A file is checked before it is downloaded (name, type and the size Telegram reports), and
//! after (the size actually received, UTF-8 text), so a wrong or huge file costs neither a
//! download nor memory.

use autoorder_schema::queries::admin::products::ProductSummary;
use autoorder_schema::queries::admin::stock::{
    StockCounts, StockDeletion, StockReport, UnsoldItem,
};
use autoorder_schema::queries::admin::{Page, ProductId};

use super::callback::{AdminCallback, Section, StockAction, WizardAction};
use super::keyboards::{back_row, button, confirm_rows, pager, picker, step_row, wizard_button};
use super::screen::Screen;
use super::texts;
use super::wizard::{AddStock, MAX_STOCK_SELECTION, RemoveStock, WizardToken};

/// Largest stock file accepted, in bytes: tens of thousands of typical items, far below what
/// the Bot API lets a bot download (20 MB).
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// Why an uploaded file is not used; the message is for the seller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadProblem {
    #[error("{}", texts::file_too_big(MAX_FILE_BYTES / 1024))]
    TooBig,
    #[error("{}", texts::FILE_WRONG_TYPE)]
    WrongType,
    #[error("{}", texts::FILE_NOT_TEXT)]
    NotText,
}

/// Checks a document before downloading it: a `.txt` or `.csv` (by name, or a text MIME type
/// when the name has no extension) of at most [`MAX_FILE_BYTES`] as far as Telegram says.
pub fn check_document(
    file_name: Option<&str>,
    mime_type: Option<&str>,
    size: Option<u64>,
) -> Result<(), UploadProblem> {
    let extension = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    let text_mime = mime_type.is_some_and(|m| {
        let m = m.to_ascii_lowercase();
        m.starts_with("text/plain") || m.starts_with("text/csv")
    });
    let ok = match extension.as_deref() {
        Some("txt" | "csv") => true,
        Some(_) => false,
        None => text_mime,
    };
    if !ok {
        return Err(UploadProblem::WrongType);
    }
    if size.is_some_and(|s| s > MAX_FILE_BYTES as u64) {
        return Err(UploadProblem::TooBig);
    }
    Ok(())
}

/// Reads a downloaded file as text: at most [`MAX_FILE_BYTES`] (whatever Telegram said before),
/// UTF-8 (a byte-order mark is dropped when the lines are split).
pub fn decode_document(bytes: &[u8]) -> Result<String, UploadProblem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(UploadProblem::TooBig);
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| UploadProblem::NotText)
}

/// A page of the stock product picker; products at or under the threshold are marked.
pub fn picker_screen(page: &Page<ProductSummary>, threshold: i64, low: usize) -> Screen {
    let mut rows = picker(
        &page.items,
        |p| texts::stock_label(&p.name, p.available, p.available <= threshold),
        |p| AdminCallback::Stock(StockAction::Open { product: p.id }),
        page.page,
        page.pages,
        |page| AdminCallback::Stock(StockAction::Products { page }),
    );
    rows.push(back_row(AdminCallback::Menu));
    let text = if page.total == 0 {
        texts::NO_PRODUCTS.to_owned()
    } else {
        texts::stock_picker(low, threshold)
    };
    Screen::new(text, rows)
}

/// A product's stock card.
pub fn card(product: ProductId, name: &str, counts: &StockCounts, threshold: i64) -> Screen {
    Screen::new(
        texts::stock_card(
            name,
            counts.available,
            counts.reserved,
            counts.sold,
            threshold,
        ),
        vec![
            vec![button(
                texts::BTN_ADD_STOCK,
                AdminCallback::Stock(StockAction::Add { product }),
            )],
            vec![button(
                texts::BTN_REMOVE_STOCK,
                AdminCallback::Stock(StockAction::Remove { product }),
            )],
            back_row(AdminCallback::Section(Section::Stock)),
        ],
    )
}

/// Adding stock, first step: the prompt for lines or a file.
pub fn add_prompt(token: WizardToken, flow: &AddStock) -> Screen {
    Screen::new(
        texts::add_stock_prompt(&flow.product_name, MAX_FILE_BYTES / 1024),
        vec![step_row(token, false)],
    )
}

/// Adding stock, second step: what the upload would add and what it refuses; *Simpan* only
/// when there is something new.
pub fn add_preview(
    token: WizardToken,
    flow: &AddStock,
    source: &str,
    report: &StockReport,
) -> Screen {
    let rows = if report.added.is_empty() {
        vec![step_row(token, true)]
    } else {
        confirm_rows(token, texts::BTN_SAVE, true)
    };
    Screen::new(
        texts::stock_preview(&flow.product_name, source, report),
        rows,
    )
}

/// After stock was added: the report, add more, or back to the card.
pub fn added(product: ProductId, name: &str, report: &StockReport) -> Screen {
    Screen::new(
        texts::stock_added(name, report),
        vec![
            vec![button(
                texts::BTN_ADD_STOCK,
                AdminCallback::Stock(StockAction::Add { product }),
            )],
            back_row(AdminCallback::Stock(StockAction::Open { product })),
        ],
    )
}

/// Choosing unsold items to delete: a page of items to tick, the pager, *Hapus yang dipilih*.
pub fn remove_list(token: WizardToken, flow: &RemoveStock, page: &Page<UnsoldItem>) -> Screen {
    let mut rows: Vec<_> = page
        .items
        .iter()
        .map(|item| {
            vec![wizard_button(
                texts::unsold_label(
                    item.id.0,
                    item.preview.as_deref(),
                    flow.selected.contains(&item.id),
                ),
                token,
                WizardAction::Toggle(item.id),
            )]
        })
        .collect();
    rows.push(pager(page.page, page.pages, |page| AdminCallback::Wizard {
        token,
        action: WizardAction::Page(page),
    }));
    if !flow.selected.is_empty() {
        rows.push(vec![wizard_button(
            texts::BTN_DELETE_SELECTED,
            token,
            WizardAction::Confirm,
        )]);
    }
    rows.push(step_row(token, false));
    Screen::new(
        texts::unsold_list(&flow.product_name, page.total, flow.selected.len()),
        rows,
    )
}

/// The deletion's confirmation.
pub fn remove_confirm(token: WizardToken, flow: &RemoveStock) -> Screen {
    Screen::new(
        texts::remove_stock_confirm(&flow.product_name, flow.selected.len()),
        confirm_rows(token, texts::BTN_YES, true),
    )
}

/// The toast when the selection is full.
pub fn selection_full() -> String {
    texts::selection_full(MAX_STOCK_SELECTION)
}

/// After a deletion.
pub fn removed(product: ProductId, name: &str, deletion: &StockDeletion) -> Screen {
    Screen::new(
        texts::stock_removed(
            name,
            deletion.deleted,
            deletion.skipped,
            deletion.available_after,
        ),
        vec![back_row(AdminCallback::Stock(StockAction::Open {
            product,
        }))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::StockItemId;
    use autoorder_schema::queries::admin::stock::{RepeatedLine, StockState, StoredDuplicate};

    #[test]
    fn documents_are_checked_by_type_and_size() {
        assert_eq!(check_document(Some("stok.txt"), None, Some(10)), Ok(()));
        assert_eq!(
            check_document(Some("STOK.CSV"), Some("text/csv"), None),
            Ok(())
        );
        assert_eq!(
            check_document(None, Some("text/plain; charset=utf-8"), Some(1)),
            Ok(())
        );
        assert_eq!(
            check_document(Some("foto.jpg"), Some("text/plain"), Some(1)),
            Err(UploadProblem::WrongType)
        );
        assert_eq!(
            check_document(None, Some("application/pdf"), Some(1)),
            Err(UploadProblem::WrongType)
        );
        assert_eq!(
            check_document(Some("a.txt"), None, Some(MAX_FILE_BYTES as u64 + 1)),
            Err(UploadProblem::TooBig)
        );
        assert!(UploadProblem::TooBig.to_string().contains("512 KB"));
        assert_eq!(decode_document("a\nb".as_bytes()), Ok("a\nb".into()));
        assert_eq!(
            decode_document(&[0xff, 0xfe, 0x41]),
            Err(UploadProblem::NotText)
        );
        assert_eq!(
            decode_document(&vec![b'a'; MAX_FILE_BYTES + 1]),
            Err(UploadProblem::TooBig)
        );
    }

    fn report() -> StockReport {
        StockReport {
            added: vec![1, 3],
            repeated: vec![RepeatedLine {
                line: 4,
                first_line: 1,
            }],
            in_store: vec![StoredDuplicate {
                line: 5,
                product_id: ProductId(2),
                product_name: "Spotify".into(),
                state: StockState::Sold,
            }],
            empty: vec![2],
            too_long: vec![],
            available_after: 12,
        }
    }

    #[test]
    fn the_preview_reports_lines_and_saves_only_something_new() {
        let flow = AddStock {
            product: ProductId(1),
            product_name: "Netflix".into(),
            pending: None,
        };
        let screen = add_preview(WizardToken(3), &flow, "file stok.txt", &report());
        for part in [
            "Item baru: 2",
            "baris 4",
            "baris 5 — Spotify (sudah terjual)",
            "Baris kosong (1): 2",
        ] {
            assert!(screen.text.contains(part), "{part}: {}", screen.text);
        }
        assert_eq!(screen.callbacks(), ["@w:3:y", "@w:3:b", "@w:3:c"]);
        let nothing = StockReport {
            added: vec![],
            ..report()
        };
        assert_eq!(
            add_preview(WizardToken(3), &flow, "pesan", &nothing).callbacks(),
            ["@w:3:b", "@w:3:c"]
        );
        assert!(
            added(ProductId(1), "Netflix", &report())
                .text
                .contains("Stok tersedia sekarang: 12")
        );
    }

    #[test]
    fn the_removal_list_ticks_the_selected_items() {
        let flow = RemoveStock {
            product: ProductId(1),
            product_name: "Netflix".into(),
            page: 0,
            selected: [StockItemId(11)].into(),
            confirming: false,
        };
        let page = Page::new(
            vec![
                UnsoldItem {
                    id: StockItemId(11),
                    preview: Some("akun-1•••".into()),
                    added_at: 0,
                },
                UnsoldItem {
                    id: StockItemId(12),
                    preview: None,
                    added_at: 0,
                },
            ],
            0,
            2,
            10,
        );
        let screen = remove_list(WizardToken(4), &flow, &page);
        assert_eq!(screen.labels()[0], "☑️ #11 akun-1•••");
        assert_eq!(screen.labels()[1], "▫️ #12 ⚠️ tidak terbaca");
        let data = screen.callbacks();
        for wanted in ["@w:4:t:11", "@w:4:t:12", "@w:4:g:1", "@w:4:y", "@w:4:c"] {
            assert!(data.contains(&wanted.to_string()), "{wanted}");
        }
    }
}
