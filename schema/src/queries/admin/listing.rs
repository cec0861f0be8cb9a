//! Pages of the part-2 lists (orders, customers) and how a customer is named in them.
//! (Part 1 has its own pickers in `paging`; the two are to be unified.)

/// One page of a list, and how many items the whole list has (for "page 2/5").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Which page to read: 0-based page number and page size (1..=100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    /// Page `page` of `per_page` items (clamped to 1..=100 so a forged number reads little).
    pub fn new(page: u32, per_page: u32) -> PageRequest {
        PageRequest {
            page,
            per_page: per_page.clamp(1, 100),
        }
    }

    /// SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    /// SQL `OFFSET`.
    pub fn offset(&self) -> i64 {
        i64::from(self.page) * i64::from(self.per_page)
    }
}

/// The name to show for a customer: the display name they chose, else their Telegram first
/// name with @username when they have one.
pub fn customer_name(display: Option<&str>, first: &str, username: Option<&str>) -> String {
    match (display, username) {
        (Some(d), _) if !d.is_empty() => d.to_string(),
        (_, Some(un)) if first.is_empty() => format!("@{un}"),
        (_, Some(un)) => format!("{first} (@{un})"),
        (_, None) => first.to_string(),
    }
}
