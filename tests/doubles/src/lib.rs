//! Test doubles for Telegram and Pakasir.

pub mod pakasir;
pub mod telegram;

pub use telegram::{
    Call, Failure, RateLimits, TelegramDouble, WebhookInfo, callback_update, document_update,
    message_update, photo_update,
};

pub use pakasir::PakasirDouble;
