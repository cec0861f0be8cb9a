//! `/start` (the welcome and the main menu), *Cara Order* and the *Admin* placeholder.

use teloxide_core::prelude::*;
use teloxide_core::types::InputFile;

use autoorder_schema::queries::orders::count_completed_orders;
use autoorder_schema::queries::shop::templates::{HOW_TO_ORDER, WELCOME, get_template};
use autoorder_schema::queries::users::{count_users, user_profile};

use crate::bot::context::{Ctx, telegram};
use crate::bot::intake::HandleError;
use crate::bot::{keyboards, texts};

/// Telegram's limit on a photo caption.
const CAPTION_LIMIT: usize = 1024;

/// The name `{nama}` stands for: the display name the customer chose, else their first name.
async fn customer_name(ctx: &Ctx<'_>) -> Result<String, HandleError> {
    let user_id = ctx.user_id;
    let profile = ctx.db(move |c| user_profile(c, user_id)).await?;
    Ok(profile
        .and_then(|p| p.display_name)
        .unwrap_or_else(|| ctx.first_name.clone()))
}

/// The welcome (seller's template or the built-in text, with the store's numbers) with
/// *INFORMASI* and *Cara Order*, then the main menu keyboard.
pub async fn start(ctx: &Ctx<'_>) -> Result<(), HandleError> {
    let name = customer_name(ctx).await?;
    let (users, completed, template) = ctx
        .db(|c| {
            Ok((
                count_users(c)?,
                count_completed_orders(c)?,
                get_template(c, WELCOME)?,
            ))
        })
        .await?;
    let store = &ctx.services.settings.store_name;
    let body = match template {
        Some(t) if !t.body.trim().is_empty() => texts::fill_template(&t.body, &name, store),
        _ => texts::welcome(&name, store),
    };
    let text = format!("{body}\n\n{}", texts::welcome_stats(users, completed));
    ctx.send_with(text, keyboards::welcome()).await?;
    ctx.send_with(texts::MENU_HINT, keyboards::main_menu(ctx.is_admin()))
        .await?;
    Ok(())
}

/// *Cara Order*: the seller's template (text, or photo with the text as caption) or the
/// built-in guide.
pub async fn how_to_order(ctx: &Ctx<'_>) -> Result<(), HandleError> {
    let name = customer_name(ctx).await?;
    let template = ctx.db(|c| get_template(c, HOW_TO_ORDER)).await?;
    let store = &ctx.services.settings.store_name;
    match template {
        Some(t) => {
            let text = texts::fill_template(&t.body, &name, store);
            match t.photo.filter(|p| !p.trim().is_empty()) {
                Some(photo) => {
                    let fits = text.chars().count() <= CAPTION_LIMIT;
                    let mut req = ctx
                        .bot
                        .send_photo(ctx.chat, InputFile::file_id(photo.into()));
                    if fits && !text.trim().is_empty() {
                        req = req.caption(text.clone());
                    }
                    req.await.map_err(telegram)?;
                    if !fits {
                        ctx.send(text).await?;
                    }
                }
                None if !text.trim().is_empty() => {
                    ctx.send(text).await?;
                }
                None => {
                    ctx.send(texts::how_to_order(&name, store)).await?;
                }
            }
        }
        None => {
            ctx.send(texts::how_to_order(&name, store)).await?;
        }
    }
    Ok(())
}

/// *Admin*: the admin menu is another piece of work; sellers are told it is coming.
pub async fn admin(ctx: &Ctx<'_>) -> Result<(), HandleError> {
    ctx.send(texts::ADMIN_SOON).await?;
    Ok(())
}
