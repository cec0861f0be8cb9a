//! Part 1's wizards at work: a press of a wizard button (checked against the stored wizard's
//! token), a seller's message to the current step, the drawing of each step, and the final
//! write on *Simpan* / *Ya* — refused writes ("changed meanwhile", code taken, …) are shown
//! with what to do, and overlapping edits are told to the owners.

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::admin::categories::{
    add_category, category, delete_category, list_categories, rename_category,
};
use autoorder_schema::queries::admin::products::{
    archive_product, create_product, delete_product, edit_product, product, restore_product,
};
use autoorder_schema::queries::admin::snk::{SnkChange, set_snk};
use autoorder_schema::queries::admin::stock::{
    StockReport, add_stock, check_stock, delete_stock, list_unsold, stock_counts,
};
use autoorder_schema::queries::admin::templates::{reset_template, save_template};
use autoorder_schema::queries::admin::vouchers::{create_voucher, set_voucher_active};
use autoorder_schema::queries::admin::{AdminRefusal, PageRequest, ProductId};
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::{StoreError, now_ms, write_tx};

use super::{nav, stored};
use crate::bot::admin::callback::{AdminCallback, ProductField, WizardAction};
use crate::bot::admin::confirm::{self, PendingFacts};
use crate::bot::admin::keyboards::{PER_PAGE, back_row};
use crate::bot::admin::screen::Screen;
use crate::bot::admin::stock::UploadProblem;
use crate::bot::admin::wizard::{
    AddCategory, AddProduct, AddProductStep, AddStock, Back, CategoryChoice, Flow, Pending,
    PendingUpload, UploadSource, VoucherStep, Wizard, WizardToken, on_category_name,
};
use crate::bot::admin::{products, respon, snk, stock, texts, vouchers};
use crate::bot::context::{Toast, Tx};

/// Why an uploaded stock file is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum UploadFailure {
    /// Wrong type, too big, not text.
    #[error("{0}")]
    Problem(UploadProblem),
    /// Telegram did not give the file (it is told to the seller; try again).
    #[error("{}", texts::FILE_DOWNLOAD_FAILED)]
    Download,
}

/// A seller's message to a wizard step, as the prepare step read it.
#[derive(Debug, Clone)]
pub(super) enum Input {
    Text(String),
    /// A photo with its caption (*Cara Order*).
    Photo {
        file_id: String,
        caption: String,
    },
    /// A stock file: its text once fetched, or why not.
    File {
        name: String,
        text: Result<String, UploadFailure>,
    },
}

/// Whether `flow` is one of part 1's (part 2's go to `part2`).
pub(super) fn is_part1(flow: &Flow) -> bool {
    matches!(
        flow,
        Flow::AddProduct(_)
            | Flow::EditProduct(_)
            | Flow::AddCategory(_)
            | Flow::RenameCategory(_)
            | Flow::AddStock(_)
            | Flow::RemoveStock(_)
            | Flow::EditSnk(_)
            | Flow::AddVoucher(_)
            | Flow::EditTemplate(_)
            | Flow::Confirm(_)
    )
}

fn stale() -> Toast {
    Toast::note(texts::STALE)
}

fn show(tx: &mut Tx<'_>, screen: Screen) {
    tx.show(screen.text, screen.keyboard);
}

/// The screen of the wizard's current step (`page`: of the step's picker).
pub(super) fn draw(
    tx: &mut Tx<'_>,
    wizard: &Wizard,
    sealed: Option<&[u8]>,
    page: u32,
) -> Result<Screen, StoreError> {
    let token = wizard.token;
    let tz = tx.services.settings.timezone;
    #[allow(unreachable_patterns)]
    Ok(match &wizard.flow {
        Flow::AddProduct(f) => {
            let categories = list_categories(tx.conn())?;
            products::add_product_step(token, f, &categories, page)
        }
        Flow::EditProduct(f) => {
            let current = product(tx.conn(), f.product)?
                .map(|p| products::field_value(&p, f.field))
                .unwrap_or_default();
            let categories = if f.field == ProductField::Category {
                list_categories(tx.conn())?
            } else {
                Vec::new()
            };
            products::edit_product_step(token, f, &current, &categories, page)
        }
        Flow::AddCategory(f) => products::add_category_step(token, f),
        Flow::RenameCategory(f) => products::rename_category_step(token, f),
        Flow::AddStock(f) => match (&f.pending, stored::open(tx, sealed)) {
            (Some(pending), Some(text)) => {
                let keys = tx.services.data_keys.clone();
                match check_stock(tx.conn(), &keys, f.product, &text)? {
                    Ok(report) => stock::add_preview(token, f, &source_label(pending), &report),
                    Err(_) => stock::add_prompt(token, f),
                }
            }
            _ => stock::add_prompt(token, f),
        },
        Flow::RemoveStock(f) => {
            if f.confirming {
                stock::remove_confirm(token, f)
            } else {
                let keys = tx.services.data_keys.clone();
                let listed = list_unsold(
                    tx.conn(),
                    &keys,
                    f.product,
                    PageRequest::new(f.page, PER_PAGE),
                )?;
                stock::remove_list(token, f, &listed)
            }
        }
        Flow::EditSnk(f) => snk::edit_step(token, f),
        Flow::AddVoucher(f) => vouchers::add_step(token, f, &tz),
        Flow::EditTemplate(f) => respon::edit_step(token, f, &nav::sample_values(tx)),
        Flow::Confirm(pending) => {
            let facts = match pending {
                Pending::DeleteProduct { product, .. } => PendingFacts {
                    available: stock_counts(tx.conn(), *product)?.available,
                },
                _ => PendingFacts::default(),
            };
            confirm::pending(token, pending, facts)
        }
        _ => Screen::new(texts::STALE, vec![back_row(AdminCallback::Menu)]),
    })
}

fn source_label(pending: &PendingUpload) -> String {
    match &pending.source {
        UploadSource::Message => texts::upload_source(None),
        UploadSource::File { name } => texts::upload_source(Some(name)),
    }
}

/// The screen a wizard returns to (after *Batal*, leaving with *Kembali*, or a refusal).
fn origin_screen(tx: &mut Tx<'_>, wizard: &Wizard) -> Result<Screen, StoreError> {
    Ok(match nav::screen(tx, wizard.flow.origin())? {
        Some(screen) => screen,
        None => nav::main_menu(tx)?,
    })
}

/// `/batal` typed during wizard `token`: ended, leaving nothing behind, and one message saying
/// so over the screen it started from.
pub(super) fn cancel_typed(tx: &mut Tx<'_>, token: WizardToken) -> Result<(), StoreError> {
    match stored::load(tx)? {
        Some((wizard, _)) if wizard.token == token => {
            stored::clear(tx)?;
            let screen = origin_screen(tx, &wizard)?;
            tx.send_with(
                format!("{}\n\n{}", texts::CANCELLED, screen.text),
                screen.keyboard,
            );
        }
        _ => tx.send(texts::STALE),
    }
    Ok(())
}

/// A press of a button of wizard `token`.
pub(super) fn press(
    tx: &mut Tx<'_>,
    token: WizardToken,
    action: WizardAction,
) -> Result<Toast, StoreError> {
    let Some((mut wizard, sealed)) = stored::load(tx)? else {
        return Ok(stale());
    };
    if wizard.token != token {
        return Ok(stale());
    }
    let mut page = 0;
    match action {
        WizardAction::Cancel => {
            stored::clear(tx)?;
            let screen = origin_screen(tx, &wizard)?;
            show(tx, screen);
            return Ok(Toast::note(texts::CANCELLED));
        }
        WizardAction::Back => match wizard.flow.back() {
            Back::Leave => {
                stored::clear(tx)?;
                let screen = origin_screen(tx, &wizard)?;
                show(tx, screen);
                return Ok(Toast::none());
            }
            Back::Stepped => {
                if matches!(wizard.flow, Flow::AddStock(_)) {
                    // The lines waiting for confirmation go with the preview.
                    stored::save(tx, &wizard, None)?;
                    let screen = draw(tx, &wizard, None, 0)?;
                    show(tx, screen);
                    return Ok(Toast::none());
                }
            }
        },
        WizardAction::Confirm => return confirm(tx, wizard, sealed),
        WizardAction::Skip => {
            let Flow::AddProduct(f) = &mut wizard.flow else {
                return Ok(stale());
            };
            if !f.on_skip() {
                return Ok(stale());
            }
        }
        WizardAction::PickCategory(picked) => {
            let picked = match picked {
                Some(id) => match category(tx.conn(), id)? {
                    Some(c) => Some((id, c.name)),
                    None => {
                        return Ok(Toast::alert(texts::refusal(
                            &AdminRefusal::CategoryGone,
                            &tx.services.settings.timezone,
                        )));
                    }
                },
                None => None,
            };
            let taken = match &mut wizard.flow {
                Flow::AddProduct(f) => f.on_pick_category(picked),
                Flow::EditProduct(f) => f.on_pick_category(picked),
                _ => false,
            };
            if !taken {
                return Ok(stale());
            }
        }
        WizardAction::NewCategory => {
            let Flow::AddProduct(f) = &mut wizard.flow else {
                return Ok(stale());
            };
            if !f.on_new_category() {
                return Ok(stale());
            }
        }
        WizardAction::Choose(choice) => {
            let Flow::AddVoucher(f) = &mut wizard.flow else {
                return Ok(stale());
            };
            if !f.on_choose(choice) {
                return Ok(stale());
            }
        }
        WizardAction::Toggle(item) => {
            let Flow::RemoveStock(f) = &mut wizard.flow else {
                return Ok(stale());
            };
            if f.confirming {
                return Ok(stale());
            }
            if !f.toggle(item) {
                return Ok(Toast::alert(stock::selection_full()));
            }
        }
        WizardAction::Page(p) => match &mut wizard.flow {
            Flow::RemoveStock(f) => f.page = p,
            Flow::AddProduct(_) | Flow::EditProduct(_) => page = p,
            _ => return Ok(stale()),
        },
    }
    stored::save_keeping(tx, &wizard, sealed.as_deref())?;
    let screen = draw(tx, &wizard, sealed.as_deref(), page)?;
    show(tx, screen);
    Ok(Toast::none())
}

/// A seller's message to the current step of wizard `token`.
pub(super) fn on_message(
    tx: &mut Tx<'_>,
    token: WizardToken,
    input: Input,
) -> Result<(), StoreError> {
    let Some((mut wizard, sealed)) = stored::load(tx)? else {
        tx.send(texts::EXPIRED);
        return Ok(());
    };
    if wizard.token != token {
        tx.send(texts::STALE);
        return Ok(());
    }
    let tz = tx.services.settings.timezone;
    let checked: Result<(), String> = match (&mut wizard.flow, input) {
        (Flow::AddStock(f), Input::Text(text)) => {
            let f = f.clone();
            return stock_input(tx, wizard.token, f, UploadSource::Message, text);
        }
        (Flow::AddStock(f), Input::File { name, text }) => {
            let f = f.clone();
            return match text {
                Ok(text) => stock_input(tx, wizard.token, f, UploadSource::File { name }, text),
                Err(failure) => {
                    // The file texts carry their own ⚠️ and what to do.
                    tx.send(failure.to_string());
                    Ok(())
                }
            };
        }
        (Flow::AddProduct(f), Input::Text(t)) => f.on_text(&t).map_err(|e| e.to_string()),
        (Flow::EditProduct(f), Input::Text(t)) => f.on_text(&t).map_err(|e| e.to_string()),
        (Flow::AddCategory(AddCategory { name }), Input::Text(t)) => {
            on_category_name(name, &t).map_err(|e| e.to_string())
        }
        (Flow::RenameCategory(f), Input::Text(t)) => {
            on_category_name(&mut f.name, &t).map_err(|e| e.to_string())
        }
        (Flow::EditSnk(f), Input::Text(t)) => f.on_text(&t).map_err(|e| e.to_string()),
        (Flow::AddVoucher(f), Input::Text(t)) => {
            f.on_text(&t, &tz, now_ms()).map_err(|e| e.to_string())
        }
        (Flow::EditTemplate(f), Input::Text(t)) => {
            f.on_content(&t, None).map_err(|e| e.to_string())
        }
        (Flow::EditTemplate(f), Input::Photo { file_id, caption }) => f
            .on_content(&caption, Some(file_id))
            .map_err(|e| e.to_string()),
        _ => {
            tx.send(texts::wrong_input(wizard.awaits()));
            return Ok(());
        }
    };
    if let Err(problem) = checked {
        tx.send(texts::invalid_input(&problem));
        return Ok(());
    }
    stored::save_keeping(tx, &wizard, sealed.as_deref())?;
    let screen = draw(tx, &wizard, sealed.as_deref(), 0)?;
    show(tx, screen);
    Ok(())
}

/// Stock lines (typed or from a file): checked against the store, kept sealed in the wizard,
/// and previewed with the duplicates and their line numbers.
fn stock_input(
    tx: &mut Tx<'_>,
    token: WizardToken,
    mut flow: AddStock,
    source: UploadSource,
    text: String,
) -> Result<(), StoreError> {
    let keys = tx.services.data_keys.clone();
    let report: StockReport = match check_stock(tx.conn(), &keys, flow.product, &text)? {
        Ok(report) => report,
        Err(refusal) => {
            stored::clear(tx)?;
            tx.send(texts::refusal(&refusal, &tx.services.settings.timezone));
            return Ok(());
        }
    };
    let pending = PendingUpload {
        source,
        new: report.added.len(),
        duplicates: report.duplicates(),
        empty: report.empty.len(),
        too_long: report.too_long.len(),
    };
    let label = source_label(&pending);
    flow.pending = Some(pending);
    let wizard = Wizard {
        token,
        flow: Flow::AddStock(flow.clone()),
    };
    stored::save(tx, &wizard, Some(text.as_bytes()))?;
    let screen = stock::add_preview(token, &flow, &label, &report);
    show(tx, screen);
    Ok(())
}

/// A refusal inside the inner write transaction, or the storage failing.
enum WriteError {
    Refused(AdminRefusal),
    Store(StoreError),
}

impl From<diesel::result::Error> for WriteError {
    fn from(e: diesel::result::Error) -> Self {
        WriteError::Store(e.into())
    }
}

/// Adds the product of the wizard, creating its new category first — both or neither.
fn add_product(
    tx: &mut Tx<'_>,
    flow: &AddProduct,
) -> Result<Result<ProductId, AdminRefusal>, StoreError> {
    let seller = stored::seller(tx);
    let result = write_tx(tx.conn(), |c| {
        let category = match &flow.draft.category {
            CategoryChoice::None => None,
            CategoryChoice::Existing { id, .. } => Some(*id),
            CategoryChoice::New { name } => Some(
                add_category(c, seller, name)
                    .map_err(WriteError::Store)?
                    .map_err(WriteError::Refused)?,
            ),
        };
        create_product(c, seller, &flow.to_new_product(category))
            .map_err(WriteError::Store)?
            .map_err(WriteError::Refused)
    });
    match result {
        Ok(id) => Ok(Ok(id)),
        Err(WriteError::Refused(refusal)) => Ok(Err(refusal)),
        Err(WriteError::Store(e)) => Err(e),
    }
}

/// Tells the owners of a saved SNK change — set or cleared, who, which product, before and
/// after (SPEC §3: every SNK change, clearing included).
fn tell_snk_change(tx: &mut Tx<'_>, change: &SnkChange) -> Result<(), StoreError> {
    let notice = texts::owner_snk_changed(
        tx.user_id(),
        &tx.who.first_name.clone(),
        &change.product_name,
        change.before.as_deref(),
        change.after.as_deref(),
    );
    tell_owners(tx, "snk", notice)
}

/// Tells the owners (owner bot, `[store]` prefix) — keyed by this update, so a retried update
/// tells them once.
fn tell_owners(tx: &mut Tx<'_>, what: &str, text: String) -> Result<(), StoreError> {
    let key = format!("admin-{what}-{}", tx.update_id);
    tx.enqueue(&NewJob::keyed(
        JobPayload::OwnerNotice {
            notice_id: key.clone(),
            text,
        },
        key,
    ))?;
    Ok(())
}

/// What a wizard edits, for the owners' notice of overlapping edits.
fn subject(flow: &Flow) -> String {
    match flow {
        Flow::EditProduct(f) => format!("produk \"{}\"", f.product_name),
        Flow::RenameCategory(f) => format!("kategori \"{}\"", f.old_name),
        Flow::EditSnk(f) => format!("SNK produk \"{}\"", f.product_name),
        Flow::EditTemplate(f) => format!("template \"{}\"", texts::template_title(f.key)),
        Flow::Confirm(Pending::ArchiveProduct { name, .. })
        | Flow::Confirm(Pending::DeleteProduct { name, .. })
        | Flow::Confirm(Pending::RestoreProduct { name, .. }) => format!("produk \"{name}\""),
        Flow::Confirm(Pending::ClearSnk { name, .. }) => format!("SNK produk \"{name}\""),
        Flow::Confirm(Pending::ResetTemplate { key, .. }) => {
            format!("template \"{}\"", texts::template_title(*key))
        }
        _ => "data".to_string(),
    }
}

/// A refused write: said with what to do; a "changed meanwhile" ends the wizard (its data is
/// old) and is told to the owners as an overlapping edit.
fn refused(tx: &mut Tx<'_>, wizard: &Wizard, refusal: AdminRefusal) -> Result<Toast, StoreError> {
    let tz = tx.services.settings.timezone;
    let text = texts::refusal(&refusal, &tz);
    match &refusal {
        AdminRefusal::ChangedMeanwhile { last_writer, .. } => {
            let notice = texts::owner_overlapping_edit(
                tx.user_id(),
                &subject(&wizard.flow),
                last_writer.as_ref(),
                &tz,
            );
            tell_owners(tx, "overlap", notice)?;
            stored::clear(tx)?;
            show(tx, Screen::new(text, vec![back_row(wizard.flow.origin())]));
        }
        AdminRefusal::NotFound => {
            stored::clear(tx)?;
            show(tx, Screen::new(text, vec![back_row(AdminCallback::Menu)]));
        }
        _ => {
            // The wizard stays: *Kembali* on the confirmation to change what was refused.
            tx.send(text);
        }
    }
    Ok(Toast::none())
}

/// *Simpan* / *Ya*: the write the wizard was for.
fn confirm(
    tx: &mut Tx<'_>,
    mut wizard: Wizard,
    sealed: Option<Vec<u8>>,
) -> Result<Toast, StoreError> {
    let seller = stored::seller(tx);
    let keys = tx.services.data_keys.clone();
    let flow = wizard.flow.clone();
    let done: Result<Screen, AdminRefusal> = match &flow {
        Flow::AddProduct(f) if f.step == AddProductStep::Confirm => {
            add_product(tx, f)?.map(|id| products::product_added(id, &f.draft.name, &f.draft.code))
        }
        Flow::EditProduct(f) => {
            let Some(change) = f.change() else {
                return Ok(stale());
            };
            edit_product(tx.conn(), seller, f.product, f.version, &change)?
                .map(|e| products::product_done(f.product, texts::product_edited(&e.name, f.field)))
        }
        Flow::AddCategory(AddCategory { name: Some(name) }) => {
            add_category(tx.conn(), seller, name)?
                .map(|_| products::categories_done(texts::category_added(name)))
        }
        Flow::RenameCategory(f) => {
            let Some(name) = &f.name else {
                return Ok(stale());
            };
            rename_category(tx.conn(), seller, f.category, f.version, name)?
                .map(|_| products::categories_done(texts::category_renamed(name)))
        }
        Flow::AddStock(f) if f.pending.is_some() => {
            let Some(text) = stored::open(tx, sealed.as_deref()) else {
                return Ok(stale());
            };
            add_stock(tx.conn(), &keys, seller, f.product, &text)?
                .map(|report| stock::added(f.product, &f.product_name, &report))
        }
        Flow::RemoveStock(f) if !f.confirming => {
            if let Flow::RemoveStock(g) = &mut wizard.flow
                && !g.confirm()
            {
                return Ok(Toast::note(texts::NOTHING_SELECTED));
            }
            stored::save_keeping(tx, &wizard, sealed.as_deref())?;
            let screen = draw(tx, &wizard, None, 0)?;
            show(tx, screen);
            return Ok(Toast::none());
        }
        Flow::RemoveStock(f) => {
            let items: Vec<_> = f.selected.iter().copied().collect();
            let deleted = delete_stock(tx.conn(), seller, f.product, &items)?;
            if let Ok(d) = &deleted
                && d.available_after <= tx.services.settings.shop.low_stock_threshold
            {
                tx.enqueue(&NewJob::keyed(
                    JobPayload::Notify(autoorder_schema::job_kinds::Notice::LowStock {
                        product_id: f.product.0,
                    }),
                    format!("notice:low-stock:{}:{}", f.product.0, d.available_after),
                ))?;
            }
            deleted.map(|d| stock::removed(f.product, &f.product_name, &d))
        }
        Flow::EditSnk(f) => {
            let Some(text) = &f.text else {
                return Ok(stale());
            };
            match set_snk(tx.conn(), seller, f.product, f.version, Some(text))? {
                Ok(change) => {
                    if change.changed {
                        tell_snk_change(tx, &change)?;
                        Ok(snk::done(f.product, texts::snk_saved(&f.product_name)))
                    } else {
                        Ok(snk::done(f.product, texts::snk_unchanged(&f.product_name)))
                    }
                }
                Err(refusal) => Err(refusal),
            }
        }
        Flow::AddVoucher(f) if f.step == VoucherStep::Confirm => {
            create_voucher(tx.conn(), seller, &f.to_new_voucher())?
                .map(|id| vouchers::done(Some(id), texts::voucher_created(&f.draft.code)))
        }
        Flow::EditTemplate(f) => {
            let Some(draft) = &f.draft else {
                return Ok(stale());
            };
            save_template(tx.conn(), seller, f.key, f.version, &draft.to_template())?
                .map(|_| respon::done(f.key, texts::template_saved(f.key)))
        }
        Flow::Confirm(pending) => match pending {
            Pending::ArchiveProduct {
                product,
                name,
                version,
            } => archive_product(tx.conn(), seller, *product, *version)?
                .map(|_| products::product_done(*product, texts::product_archived(name))),
            Pending::RestoreProduct {
                product,
                name,
                version,
            } => restore_product(tx.conn(), seller, *product, *version)?
                .map(|_| products::product_done(*product, texts::product_restored(name))),
            Pending::DeleteProduct {
                product,
                name,
                version,
            } => delete_product(tx.conn(), seller, *product, *version)?.map(|d| {
                Screen::new(
                    texts::product_deleted(name, d.stock_items),
                    vec![back_row(AdminCallback::Product(
                        crate::bot::admin::callback::ProductAction::List { page: 0 },
                    ))],
                )
            }),
            Pending::DeleteCategory { category, name } => {
                delete_category(tx.conn(), seller, *category)?
                    .map(|()| products::categories_done(texts::category_deleted(name)))
            }
            Pending::ClearSnk {
                product,
                name,
                version,
                ..
            } => match set_snk(tx.conn(), seller, *product, *version, None)? {
                Ok(change) => {
                    if change.changed {
                        tell_snk_change(tx, &change)?;
                    }
                    Ok(snk::done(*product, texts::snk_cleared(name)))
                }
                Err(refusal) => Err(refusal),
            },
            Pending::SetVoucherActive {
                voucher,
                code,
                active,
            } => set_voucher_active(tx.conn(), seller, *voucher, *active)?
                .map(|_| vouchers::done(Some(*voucher), texts::voucher_switched(code, *active))),
            Pending::ResetTemplate { key, version } => {
                reset_template(tx.conn(), seller, *key, *version)?
                    .map(|_| respon::done(*key, texts::template_reset(*key)))
            }
        },
        _ => return Ok(stale()),
    };
    match done {
        Ok(screen) => {
            stored::clear(tx)?;
            show(tx, screen);
            Ok(Toast::none())
        }
        Err(refusal) => refused(tx, &wizard, refusal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::wizard::{AddVoucher, RemoveStock};
    use autoorder_schema::queries::admin::ProductId;

    #[test]
    fn every_flow_here_is_part_one() {
        assert!(is_part1(&Flow::AddVoucher(AddVoucher::default())));
        assert!(is_part1(&Flow::RemoveStock(RemoveStock {
            product: ProductId(1),
            product_name: "N".into(),
            page: 0,
            selected: Default::default(),
            confirming: false,
        })));
    }

    #[test]
    fn overlapping_edits_name_what_was_edited() {
        let flow = Flow::Confirm(Pending::ArchiveProduct {
            product: ProductId(1),
            name: "Netflix".into(),
            version: 2,
        });
        assert_eq!(subject(&flow), "produk \"Netflix\"");
    }

    #[test]
    fn file_failures_say_what_to_do() {
        assert_eq!(
            UploadFailure::Download.to_string(),
            texts::FILE_DOWNLOAD_FAILED
        );
        assert_eq!(
            UploadFailure::Problem(UploadProblem::WrongType).to_string(),
            texts::FILE_WRONG_TYPE
        );
    }
}
