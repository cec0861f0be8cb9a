//! A stock file sent by a seller, fetched in the prepare step (never inside the write
//! transaction): checked by name, type and the size Telegram reports, then `getFile` and a
//! download from `<TELEGRAM_API_URL>/file/bot<token>/<file_path>`, capped at the file limit.

use teloxide_core::requests::Requester;
use teloxide_core::types::Document;

use super::steps::{Input, UploadFailure};
use crate::bot::admin::stock::{MAX_FILE_BYTES, UploadProblem, check_document, decode_document};
use crate::bot::context::Ctx;
use crate::log_targets::BOT;

/// The document as stock input: its text, or why it is not used.
pub(super) async fn fetch(ctx: &Ctx<'_>, document: &Document) -> Input {
    let name = document
        .file_name
        .clone()
        .unwrap_or_else(|| "file".to_string());
    let mime = document.mime_type.as_ref().map(|m| m.to_string());
    let text = match check_document(
        document.file_name.as_deref(),
        mime.as_deref(),
        Some(u64::from(document.file.size)),
    ) {
        Err(problem) => Err(UploadFailure::Problem(problem)),
        Ok(()) => download(ctx, &document.file.id.0)
            .await
            .and_then(|bytes| decode_document(&bytes).map_err(UploadFailure::Problem)),
    };
    Input::File { name, text }
}

async fn download(ctx: &Ctx<'_>, file_id: &str) -> Result<Vec<u8>, UploadFailure> {
    let bot = ctx.services.sends.shop.bot().clone();
    let file = bot
        .get_file(teloxide_core::types::FileId(file_id.to_string()))
        .await
        .map_err(|e| {
            log::warn!(target: BOT, "getFile for a stock upload failed: {e}");
            UploadFailure::Download
        })?;
    if file.meta.size as usize > MAX_FILE_BYTES {
        return Err(UploadFailure::Problem(UploadProblem::TooBig));
    }
    let telegram = &ctx.services.settings.telegram;
    let url = format!(
        "{}/file/bot{}/{}",
        telegram.api_url,
        telegram.bot_token.expose(),
        file.path
    );
    let mut response = reqwest::Client::new()
        .get(&url)
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| {
            log::warn!(target: BOT, "downloading a stock upload failed: {}", e.without_url());
            UploadFailure::Download
        })?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        log::warn!(target: BOT, "downloading a stock upload failed: {}", e.without_url());
        UploadFailure::Download
    })? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_FILE_BYTES {
            return Err(UploadFailure::Problem(UploadProblem::TooBig));
        }
    }
    Ok(bytes)
}
