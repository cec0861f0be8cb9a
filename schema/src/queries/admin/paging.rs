//! Pages of the admin pickers. A page number that no longer exists (items were deleted since the
//! list was shown) shows the last page instead of an empty one.

/// Which page to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 0-based page number.
    pub page: u32,
    /// Items per page (at least 1).
    pub per_page: u32,
}

impl PageRequest {
    /// Page `page` of `per_page` items.
    pub fn new(page: u32, per_page: u32) -> PageRequest {
        PageRequest {
            page,
            per_page: per_page.max(1),
        }
    }

    /// The page actually shown for `total` items (the last one when `page` is past the end),
    /// its offset, and the number of pages (at least 1).
    pub fn resolve(&self, total: i64) -> (u32, i64, u32) {
        let per = i64::from(self.per_page.max(1));
        let pages = ((total.max(0) + per - 1) / per).max(1);
        let pages = u32::try_from(pages).unwrap_or(u32::MAX);
        let page = self.page.min(pages - 1);
        (page, i64::from(page) * per, pages)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The page shown (0-based; may be lower than asked for, see the module docs).
    pub page: u32,
    /// How many pages there are (at least 1, also for an empty list).
    pub pages: u32,
    /// How many items there are on all pages.
    pub total: i64,
}

impl<T> Page<T> {
    /// A page from its parts.
    pub fn new(items: Vec<T>, page: u32, pages: u32, total: i64) -> Page<T> {
        Page {
            items,
            page,
            pages,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_clamp_to_the_last_one() {
        assert_eq!(PageRequest::new(0, 8).resolve(0), (0, 0, 1));
        assert_eq!(PageRequest::new(0, 8).resolve(8), (0, 0, 1));
        assert_eq!(PageRequest::new(1, 8).resolve(9), (1, 8, 2));
        assert_eq!(PageRequest::new(5, 8).resolve(9), (1, 8, 2));
        assert_eq!(
            PageRequest::new(3, 0).resolve(2),
            (1, 1, 2),
            "per_page 0 counts as 1"
        );
    }
}
