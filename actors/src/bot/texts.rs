//! Customer-facing texts, in one place (Indonesian first).

/// The placeholder welcome until the shop menus exist.
pub fn welcome(first_name: &str, store_name: &str, users: i64) -> String {
    format!(
        "Halo {first_name}! 👋\n\nSelamat datang di {store_name}.\n\
         Saat ini {users} pengguna sudah bergabung.\n\n\
         Toko sedang disiapkan — katalog akan segera tersedia."
    )
}

/// What a user blocked by a seller is told.
pub const BLOCKED: &str = "Maaf, akun Anda diblokir oleh penjual.";
