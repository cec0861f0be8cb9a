//! Writing a catalog: TOML that [`parse_catalog`](super::parse_catalog) reads back to the
//! same catalog, and a CSV view for spreadsheets.

use std::fmt::Write as _;

use autoorder_schema::queries::catalog::CatalogFile;

/// The columns [`to_csv`] writes, in order.
pub const CSV_COLUMNS: [&str; 7] = [
    "code",
    "name",
    "price",
    "category",
    "description",
    "snk",
    "stock",
];

/// The catalog as a TOML file [`parse_catalog`] reads back to the same catalog. A file with
/// stock says so in its first lines: it holds secrets.
pub fn to_toml(catalog: &CatalogFile) -> String {
    let stock = catalog.stock_count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# autoorder catalog: {} categories, {} products, {stock} stock items.",
        catalog.categories.len(),
        catalog.products.len()
    );
    let _ = writeln!(
        out,
        "# Import with `autoorder catalog import FILE`; see conf/catalog.example.toml."
    );
    if stock > 0 {
        let _ = writeln!(
            out,
            "# CONTAINS STOCK CONTENTS (accounts, codes): keep it private, delete it after use."
        );
    }
    for category in &catalog.categories {
        let _ = write!(
            out,
            "\n[[categories]]\nname = {}\n",
            toml_quote(&category.name)
        );
    }
    for product in &catalog.products {
        let _ = write!(
            out,
            "\n[[products]]\ncode = {}\nname = {}\nprice = {}\n",
            toml_quote(&product.code),
            toml_quote(&product.name),
            product.price
        );
        if let Some(category) = &product.category {
            let _ = writeln!(out, "category = {}", toml_quote(category));
        }
        let _ = writeln!(out, "description = {}", toml_quote(&product.description));
        if let Some(snk) = &product.snk {
            let _ = writeln!(out, "snk = {}", toml_quote(snk));
        }
        if product.archived {
            let _ = writeln!(out, "archived = true");
        }
        if !product.stock.is_empty() {
            out.push_str("stock = [\n");
            for item in &product.stock {
                let _ = writeln!(out, "    {},", toml_quote(&item.content));
            }
            out.push_str("]\n");
        }
    }
    out
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The catalog as CSV (RFC 4180 through the `csv` crate: comma separated, CRLF line ends, a
/// field with a comma, quote or line break quoted and its quotes doubled), header
/// [`CSV_COLUMNS`]. One row per product with an empty `stock` column, or one row per stock item
/// repeating the product's columns (a product without stock keeps one row). Meant for
/// spreadsheets; it is not imported.
pub fn to_csv(catalog: &CatalogFile) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing into a Vec cannot fail, and every row has the header's number of fields.
    let mut row = |fields: &[&str]| {
        out.write_record(fields)
            .expect("a CSV row of fixed width into memory");
    };
    row(&CSV_COLUMNS);
    for product in &catalog.products {
        let price = product.price.to_string();
        // A product without stock still gets its row, with an empty `stock` column.
        let stock: Vec<&str> = if product.stock.is_empty() {
            vec![""]
        } else {
            product.stock.iter().map(|i| i.content.as_str()).collect()
        };
        for item in stock {
            row(&[
                product.code.as_str(),
                product.name.as_str(),
                price.as_str(),
                product.category.as_deref().unwrap_or_default(),
                product.description.as_str(),
                product.snk.as_deref().unwrap_or_default(),
                item,
            ]);
        }
    }
    let bytes = out.into_inner().expect("flushing CSV into memory");
    String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
}

#[cfg(test)]
mod tests {
    use autoorder_schema::queries::catalog::{CategoryEntry, ProductEntry, StockEntry};

    use super::*;

    #[test]
    fn toml_quoting_round_trips_awkward_text() {
        let awkward = "a \"quoted\" \\ back\nslash\ttab \u{1} é 😀 # not a comment";
        let catalog = CatalogFile {
            source: "t".into(),
            categories: vec![CategoryEntry {
                name: "Kat \"1\"".into(),
                line: 0,
            }],
            products: vec![ProductEntry {
                code: "AB".into(),
                name: awkward.into(),
                price: 1,
                category: Some("Kat \"1\"".into()),
                description: awkward.into(),
                snk: None,
                archived: true,
                stock: vec![StockEntry {
                    content: "x\\y".into(),
                    line: 0,
                }],
                line: 0,
            }],
        };
        let back = super::super::parse_catalog(&to_toml(&catalog), "t").unwrap();
        assert_eq!(back.products[0].name, awkward);
        assert_eq!(back.products[0].description, awkward);
        assert!(back.products[0].archived);
        assert_eq!(back.products[0].stock[0].content, "x\\y");
        assert_eq!(back.categories[0].name, "Kat \"1\"");
    }
}
