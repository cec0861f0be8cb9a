//! Part 2 of the admin menu (Order, User, Broadcast, Laporan): the entry points the admin
//! dispatcher ([`super`]) calls for part 2's sections, presses, wizard messages and wizard
//! buttons.

use teloxide_core::types::Message;

use crate::bot::admin::callback::Section;
use crate::bot::admin::wizard::Wizard;
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx};
use crate::bot::pipeline::HandleError;

/// `Some` when `data` is one of part 2's own presses (its area codes).
pub async fn prepare_callback(
    ctx: &Ctx<'_>,
    data: &str,
) -> Result<Option<CallbackApply>, HandleError> {
    let _ = (ctx, data);
    Ok(None)
}

/// A part-2 section of the admin menu (Order, User, Broadcast, Laporan) was opened.
pub async fn prepare_section(
    ctx: &Ctx<'_>,
    section: Section,
) -> Result<CallbackApply, HandleError> {
    let _ = (ctx, section);
    Ok(Box::new(|_: &mut Tx<'_>| {
        Ok(Toast::note(crate::bot::texts::ADMIN_SOON))
    }))
}

/// A seller's message while `wizard` is active: `Some` when the wizard is one of part 2's
/// flows (it then takes the message), `None` otherwise.
pub async fn prepare_message(
    ctx: &Ctx<'_>,
    message: &Message,
    wizard: &Wizard,
) -> Result<Option<Apply>, HandleError> {
    let _ = (ctx, message, wizard);
    Ok(None)
}

/// A button of one of part 2's wizards other than *Batal* / *Kembali* (which the dispatcher
/// handles for every wizard); `wizard` is the seller's stored wizard, its token already
/// matched against the press.
pub async fn prepare_wizard_press(
    ctx: &Ctx<'_>,
    wizard: &Wizard,
    action: crate::bot::admin::callback::WizardAction,
) -> Result<CallbackApply, HandleError> {
    let _ = (ctx, wizard, action);
    Ok(Box::new(|_: &mut Tx<'_>| {
        Ok(Toast::note(crate::bot::admin::texts::STALE))
    }))
}
