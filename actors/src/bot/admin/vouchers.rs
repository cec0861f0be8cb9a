//! Voucher screens.
//!
//! ```text
//! 🎟️ Voucher ─┬─ ➕ Buat Voucher → kode → persen/nominal → nilai → batas pakai → mulai → berakhir → ✅ Simpan
//!             └─ [voucher · 10% · 3/100 · ✅ aktif] → kartu → ⏸️ Nonaktifkan / ▶️ Aktifkan lagi → ✅
//! ```

use autoorder_schema::queries::admin::vouchers::{VoucherInfo, VoucherStatus};
use autoorder_schema::queries::admin::{Page, VoucherId};

use super::callback::{AdminCallback, VoucherAction, WizardAction};
use super::keyboards::{back_row, button, confirm_rows, picker, step_row, wizard_button};
use super::screen::Screen;
use super::texts;
use super::wizard::{AddVoucher, VoucherStep, WizardToken, voucher_choice};

/// A page of vouchers, newest first.
pub fn list(page: &Page<VoucherInfo>) -> Screen {
    let mut rows = vec![vec![button(
        texts::BTN_ADD_VOUCHER,
        AdminCallback::Voucher(VoucherAction::Add),
    )]];
    rows.extend(picker(
        &page.items,
        |v| {
            texts::voucher_label(
                &v.code,
                &texts::voucher_value(v.kind, v.value),
                &texts::voucher_uses(v.used, v.max_uses),
                v.status,
            )
        },
        |v| AdminCallback::Voucher(VoucherAction::Open { voucher: v.id }),
        page.page,
        page.pages,
        |page| AdminCallback::Voucher(VoucherAction::List { page }),
    ));
    rows.push(back_row(AdminCallback::Menu));
    Screen::new(texts::vouchers(page.total), rows)
}

/// A voucher's card with its switch.
pub fn card(v: &VoucherInfo, tz: &chrono_tz::Tz) -> Screen {
    let switch = if v.status == VoucherStatus::Inactive {
        button(
            texts::BTN_REACTIVATE,
            AdminCallback::Voucher(VoucherAction::Reactivate { voucher: v.id }),
        )
    } else {
        button(
            texts::BTN_DEACTIVATE,
            AdminCallback::Voucher(VoucherAction::Deactivate { voucher: v.id }),
        )
    };
    Screen::new(
        texts::voucher_card(
            &texts::VoucherFacts {
                code: &v.code,
                kind: v.kind,
                value: v.value,
                used: v.used,
                max_uses: v.max_uses,
                valid_from: v.valid_from,
                valid_until: v.valid_until,
                status: v.status,
            },
            tz,
        ),
        vec![
            vec![switch],
            back_row(AdminCallback::Voucher(VoucherAction::List { page: 0 })),
        ],
    )
}

/// The current step of creating a voucher.
pub fn add_step(token: WizardToken, flow: &AddVoucher, tz: &chrono_tz::Tz) -> Screen {
    let d = &flow.draft;
    let choice = |label: &str, i: u8| wizard_button(label, token, WizardAction::Choose(i));
    let mut rows = Vec::new();
    let text = match flow.step {
        VoucherStep::Code => texts::voucher_code_prompt(),
        VoucherStep::Kind => {
            rows.push(vec![
                choice(texts::BTN_PERCENT, voucher_choice::PERCENT),
                choice(texts::BTN_FLAT, voucher_choice::FLAT),
            ]);
            texts::voucher_kind_prompt(&d.code)
        }
        VoucherStep::Value => texts::voucher_value_prompt(d.kind),
        VoucherStep::MaxUses => {
            rows.push(vec![choice(texts::BTN_NO_LIMIT, voucher_choice::NO_LIMIT)]);
            texts::voucher_max_uses_prompt()
        }
        VoucherStep::ValidFrom => {
            rows.push(vec![choice(texts::BTN_FROM_NOW, voucher_choice::NO_LIMIT)]);
            texts::voucher_from_prompt()
        }
        VoucherStep::ValidUntil => {
            rows.push(vec![choice(texts::BTN_NO_LIMIT, voucher_choice::NO_LIMIT)]);
            texts::voucher_until_prompt()
        }
        VoucherStep::Confirm => {
            return Screen::new(
                texts::voucher_confirm(
                    &texts::VoucherFacts {
                        code: &d.code,
                        kind: d.kind,
                        value: d.value,
                        used: 0,
                        max_uses: d.max_uses,
                        valid_from: d.valid_from,
                        valid_until: d.valid_until,
                        status: VoucherStatus::Active,
                    },
                    tz,
                ),
                confirm_rows(token, texts::BTN_SAVE, true),
            );
        }
    };
    rows.push(step_row(token, flow.step != VoucherStep::Code));
    Screen::new(text, rows)
}

/// After a voucher write.
pub fn done(voucher: Option<VoucherId>, note: String) -> Screen {
    let back = match voucher {
        Some(voucher) => AdminCallback::Voucher(VoucherAction::Open { voucher }),
        None => AdminCallback::Voucher(VoucherAction::List { page: 0 }),
    };
    Screen::new(note, vec![back_row(back)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::queries::admin::vouchers::VoucherKind;

    #[test]
    fn every_step_has_its_choices_and_cancel() {
        let tz = chrono_tz::Asia::Jakarta;
        let mut flow = AddVoucher::default();
        for (step, wanted) in [
            (VoucherStep::Code, vec!["@w:6:c"]),
            (
                VoucherStep::Kind,
                vec!["@w:6:o:0", "@w:6:o:1", "@w:6:b", "@w:6:c"],
            ),
            (VoucherStep::Value, vec!["@w:6:b", "@w:6:c"]),
            (VoucherStep::MaxUses, vec!["@w:6:o:0", "@w:6:b", "@w:6:c"]),
            (VoucherStep::ValidFrom, vec!["@w:6:o:0", "@w:6:b", "@w:6:c"]),
            (
                VoucherStep::ValidUntil,
                vec!["@w:6:o:0", "@w:6:b", "@w:6:c"],
            ),
            (VoucherStep::Confirm, vec!["@w:6:y", "@w:6:b", "@w:6:c"]),
        ] {
            flow.step = step;
            assert_eq!(
                add_step(WizardToken(6), &flow, &tz).callbacks(),
                wanted,
                "{step:?}"
            );
        }
        flow.draft.kind = VoucherKind::Flat;
        flow.draft.value = 5_000;
        flow.draft.max_uses = Some(50);
        let confirm = add_step(WizardToken(6), &flow, &tz).text;
        assert!(confirm.contains("Rp 5.000") && confirm.contains("Batas pemakaian: 50"));
        assert!(confirm.contains("sekarang s/d tanpa batas"));
    }

    #[test]
    fn the_card_offers_the_opposite_switch() {
        let tz = chrono_tz::Asia::Jakarta;
        let mut v = VoucherInfo {
            id: VoucherId(4),
            code: "HEMAT".into(),
            kind: VoucherKind::Percent,
            value: 10,
            used: 3,
            max_uses: Some(10),
            valid_from: None,
            valid_until: None,
            active: true,
            status: VoucherStatus::Active,
        };
        assert_eq!(card(&v, &tz).callbacks()[0], "@v:d:4");
        assert!(card(&v, &tz).text.contains("3/10"));
        v.status = VoucherStatus::Inactive;
        assert_eq!(card(&v, &tz).callbacks()[0], "@v:a:4");
    }
}
