//! The create-voucher flow: code → percent or flat → value → maximum uses → valid from → valid
//! until → confirmation, each limit optional.

use serde::{Deserialize, Serialize};

use autoorder_schema::queries::admin::vouchers::{NewVoucher, VoucherKind};

use crate::bot::admin::input::{self, DayEdge, InputError};

/// The steps of creating a voucher, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherStep {
    Code,
    /// Percent or flat (buttons).
    Kind,
    Value,
    /// A number, or *Tanpa batas*.
    MaxUses,
    /// A date, or *Mulai sekarang*.
    ValidFrom,
    /// A date, or *Tanpa batas*.
    ValidUntil,
    Confirm,
}

/// What has been entered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherDraft {
    pub code: String,
    pub kind: VoucherKind,
    pub value: i64,
    pub max_uses: Option<i32>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

impl Default for VoucherDraft {
    fn default() -> Self {
        VoucherDraft {
            code: String::new(),
            kind: VoucherKind::Percent,
            value: 0,
            max_uses: None,
            valid_from: None,
            valid_until: None,
        }
    }
}

/// Creating a voucher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddVoucher {
    pub step: VoucherStep,
    pub draft: VoucherDraft,
}

impl Default for AddVoucher {
    fn default() -> Self {
        AddVoucher {
            step: VoucherStep::Code,
            draft: VoucherDraft::default(),
        }
    }
}

/// The fixed choices of the voucher steps, by the index their buttons carry.
pub mod voucher_choice {
    /// Kind step: percent.
    pub const PERCENT: u8 = 0;
    /// Kind step: flat amount.
    pub const FLAT: u8 = 1;
    /// Max-uses and until steps: no limit; from step: starting now.
    pub const NO_LIMIT: u8 = 0;
}

impl AddVoucher {
    /// A typed answer to the current step, dates read in `tz` and checked against `now`.
    pub fn on_text(&mut self, text: &str, tz: &chrono_tz::Tz, now: i64) -> Result<(), InputError> {
        use VoucherStep as S;
        self.step = match self.step {
            S::Code => {
                self.draft.code = input::parse_code(text)?;
                S::Kind
            }
            S::Value => {
                self.draft.value = input::parse_voucher_value(self.draft.kind, text)?;
                S::MaxUses
            }
            S::MaxUses => {
                self.draft.max_uses = input::parse_max_uses(text)?;
                S::ValidFrom
            }
            S::ValidFrom => {
                self.draft.valid_from = input::parse_date(text, tz, DayEdge::Start)?;
                S::ValidUntil
            }
            S::ValidUntil => {
                let until = input::parse_date(text, tz, DayEdge::End)?;
                input::check_window(self.draft.valid_from, until, now)?;
                self.draft.valid_until = until;
                S::Confirm
            }
            step @ (S::Kind | S::Confirm) => step,
        };
        Ok(())
    }

    /// A fixed choice (see [`voucher_choice`]); false where the step has no such choice.
    pub fn on_choose(&mut self, choice: u8) -> bool {
        use VoucherStep as S;
        use voucher_choice::*;
        let next = match (self.step, choice) {
            (S::Kind, PERCENT) => {
                self.draft.kind = VoucherKind::Percent;
                S::Value
            }
            (S::Kind, FLAT) => {
                self.draft.kind = VoucherKind::Flat;
                S::Value
            }
            (S::MaxUses, NO_LIMIT) => {
                self.draft.max_uses = None;
                S::ValidFrom
            }
            (S::ValidFrom, NO_LIMIT) => {
                self.draft.valid_from = None;
                S::ValidUntil
            }
            (S::ValidUntil, NO_LIMIT) => {
                self.draft.valid_until = None;
                S::Confirm
            }
            _ => return false,
        };
        self.step = next;
        true
    }

    pub(super) fn back(&mut self) -> bool {
        use VoucherStep as S;
        let previous = match self.step {
            S::Code => return false,
            S::Kind => S::Code,
            S::Value => S::Kind,
            S::MaxUses => S::Value,
            S::ValidFrom => S::MaxUses,
            S::ValidUntil => S::ValidFrom,
            S::Confirm => S::ValidUntil,
        };
        self.step = previous;
        true
    }

    /// The voucher to create.
    pub fn to_new_voucher(&self) -> NewVoucher {
        NewVoucher {
            code: self.draft.code.clone(),
            kind: self.draft.kind,
            value: self.draft.value,
            max_uses: self.draft.max_uses,
            valid_from: self.draft.valid_from,
            valid_until: self.draft.valid_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::wizard::{Back, Flow};

    fn jakarta() -> chrono_tz::Tz {
        chrono_tz::Asia::Jakarta
    }

    #[test]
    fn creating_a_voucher_with_and_without_limits() {
        let tz = jakarta();
        let now = 1_790_000_000_000; // 2026-09-21
        let mut f = AddVoucher::default();
        f.on_text("hemat10", &tz, now).unwrap();
        assert_eq!(f.step, VoucherStep::Kind);
        assert!(!f.on_choose(7));
        assert!(f.on_choose(voucher_choice::PERCENT));
        assert_eq!(f.on_text("150", &tz, now), Err(InputError::Percent));
        f.on_text("10%", &tz, now).unwrap();
        assert!(f.on_choose(voucher_choice::NO_LIMIT), "no limit on uses");
        assert!(f.on_choose(voucher_choice::NO_LIMIT), "valid from now");
        assert_eq!(
            f.on_text("01/01/2020", &tz, now),
            Err(InputError::DateOrder)
        );
        f.on_text("31/12/2026", &tz, now).unwrap();
        assert_eq!(f.step, VoucherStep::Confirm);
        let v = f.to_new_voucher();
        assert_eq!(
            (v.code.as_str(), v.kind, v.value, v.max_uses, v.valid_from),
            ("HEMAT10", VoucherKind::Percent, 10, None, None)
        );
        assert_eq!(v.valid_until, Some(1_798_736_399_999));

        let mut g = AddVoucher::default();
        g.on_text("POTONG", &tz, now).unwrap();
        g.on_choose(voucher_choice::FLAT);
        g.on_text("Rp 5.000", &tz, now).unwrap();
        g.on_text("100", &tz, now).unwrap();
        g.on_text("01/12/2026", &tz, now).unwrap();
        assert_eq!(
            g.on_text("30/11/2026", &tz, now),
            Err(InputError::DateOrder),
            "ends before it starts"
        );
        assert!(g.on_choose(voucher_choice::NO_LIMIT));
        let v = g.to_new_voucher();
        assert_eq!(
            (v.kind, v.value, v.max_uses, v.valid_until),
            (VoucherKind::Flat, 5_000, Some(100), None)
        );
        let mut flow = Flow::AddVoucher(g);
        assert_eq!(flow.back(), Back::Stepped);
        let Flow::AddVoucher(g) = &flow else {
            unreachable!()
        };
        assert_eq!(g.step, VoucherStep::ValidUntil);
    }
}
