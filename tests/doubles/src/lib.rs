//! Test doubles for Telegram and Pakasir.
