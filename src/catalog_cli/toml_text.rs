//! The part of TOML a catalog uses, read with the line of every key and list item.
//!
//! Written by hand rather than taken from a TOML library because a seller's catalog problems
//! must each name their line — a product's key, and each stock entry's own line inside a list
//! — and the messages must say what to write instead ("30.000" is not a price). It reads
//! `[[tables]]`, bare and quoted keys, all four string forms (escapes, `"""` multi-line text),
//! integers (`30_000`), booleans, lists over several lines and comments; inline tables, floats
//! and dates are recognised and refused.

/// The first syntax error; reading stops there.
#[derive(Debug)]
pub(super) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

pub(super) enum Value {
    Str(String),
    Int(i64),
    /// Read but never accepted by a catalog, so the number itself is not kept.
    Float,
    Bool(bool),
    /// Likewise.
    DateTime,
    Array(Vec<Item>),
}

impl Value {
    /// For messages: what was found.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "text",
            Value::Int(_) => "a number",
            Value::Float => "a decimal number",
            Value::Bool(_) => "true/false",
            Value::DateTime => "a date",
            Value::Array(_) => "a list",
        }
    }
}

pub(super) struct Item {
    pub value: Value,
    pub line: usize,
}

pub(super) enum Header {
    /// Keys before the first header.
    Root,
    /// `[[name]]`
    ArrayTable(String),
    /// `[name]`
    Table(String),
}

pub(super) struct Table {
    pub header: Header,
    pub line: usize,
    pub entries: Vec<Entry>,
}

pub(super) struct Entry {
    pub key: String,
    pub line: usize,
    pub value: Value,
}

/// Reads a document into its tables, in order.
pub(super) fn parse(text: &str) -> Result<Vec<Table>, SyntaxError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lx = Lexer {
        text,
        pos: 0,
        line: 1,
    };
    let mut tables = vec![Table {
        header: Header::Root,
        line: 1,
        entries: Vec::new(),
    }];
    loop {
        lx.skip_blanks();
        lx.skip_comment();
        if lx.peek().is_none() {
            break;
        }
        if lx.eat_newline() {
            continue;
        }
        let line = lx.line;
        if lx.peek() == Some('[') {
            let array = lx.eat("[[");
            if !array {
                lx.bump();
            }
            lx.skip_blanks();
            let name = lx.key()?;
            lx.skip_blanks();
            let close = if array { "]]" } else { "]" };
            if !lx.eat(close) {
                return Err(lx.error(format!("expected `{close}` to close the table header")));
            }
            tables.push(Table {
                header: if array {
                    Header::ArrayTable(name)
                } else {
                    Header::Table(name)
                },
                line,
                entries: Vec::new(),
            });
        } else {
            let key = lx.key()?;
            lx.skip_blanks();
            if !lx.eat("=") {
                return Err(lx.error(format!("expected `=` after the key `{key}`")));
            }
            lx.skip_blanks();
            let value = lx.value()?;
            if let Some(table) = tables.last_mut() {
                table.entries.push(Entry { key, line, value });
            }
        }
        lx.skip_blanks();
        lx.skip_comment();
        if lx.peek().is_some() && !lx.eat_newline() {
            return Err(lx.error(
                "unexpected text after the value (one `key = value` per line; text must be in quotes)",
            ));
        }
    }
    Ok(tables)
}

fn forbidden_control(ch: char) -> bool {
    (ch < ' ' && ch != '\t') || ch == '\u{7f}'
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.pos += ch.len_utf8();
        if ch == '\n' {
            self.line += 1;
        }
        Some(ch)
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            for _ in s.chars() {
                self.bump();
            }
            true
        } else {
            false
        }
    }

    fn eat_newline(&mut self) -> bool {
        self.eat("\n") || self.eat("\r\n")
    }

    fn at_newline(&self) -> bool {
        self.rest().starts_with('\n') || self.rest().starts_with("\r\n")
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.bump();
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some('#') {
            while self.peek().is_some() && !self.at_newline() {
                self.bump();
            }
        }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line: self.line,
            message: message.into(),
        }
    }

    fn error_at(line: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            line,
            message: message.into(),
        }
    }

    /// A key, dotted keys joined with `.` (a catalog has none, so they end up unknown).
    fn key(&mut self) -> Result<String, SyntaxError> {
        let mut key = self.simple_key()?;
        loop {
            let save = (self.pos, self.line);
            self.skip_blanks();
            if self.eat(".") {
                self.skip_blanks();
                key.push('.');
                key.push_str(&self.simple_key()?);
            } else {
                (self.pos, self.line) = save;
                return Ok(key);
            }
        }
    }

    fn simple_key(&mut self) -> Result<String, SyntaxError> {
        match self.peek() {
            Some('"') => self.basic_string(),
            Some('\'') => self.literal_string(),
            _ => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    self.bump();
                }
                if self.pos == start {
                    Err(self.error("expected a key, as in `name = \"…\"`"))
                } else {
                    Ok(self.text[start..self.pos].to_string())
                }
            }
        }
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        let rest = self.rest();
        if rest.starts_with("\"\"\"") {
            self.multiline_string(true).map(Value::Str)
        } else if rest.starts_with('"') {
            self.basic_string().map(Value::Str)
        } else if rest.starts_with("'''") {
            self.multiline_string(false).map(Value::Str)
        } else if rest.starts_with('\'') {
            self.literal_string().map(Value::Str)
        } else if rest.starts_with('[') {
            self.array()
        } else if rest.starts_with('{') {
            Err(self.error(
                "inline tables `{ … }` are not supported in a catalog; write each entry as its own [[categories]] or [[products]] table",
            ))
        } else {
            self.scalar()
        }
    }

    fn basic_string(&mut self) -> Result<String, SyntaxError> {
        let line = self.line;
        self.bump();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(Self::error_at(line, "text is not closed with `\"`")),
                Some(_) if self.at_newline() => {
                    return Err(Self::error_at(
                        line,
                        "text is not closed with `\"` on its line (use \"\"\" … \"\"\" for text over several lines)",
                    ));
                }
                Some('"') => {
                    self.bump();
                    return Ok(out);
                }
                Some('\\') => {
                    self.bump();
                    out.push(self.escape()?);
                }
                Some(ch) if forbidden_control(ch) => {
                    return Err(
                        self.error("control character in text; write it as an escape such as \\t")
                    );
                }
                Some(ch) => {
                    self.bump();
                    out.push(ch);
                }
            }
        }
    }

    fn literal_string(&mut self) -> Result<String, SyntaxError> {
        let line = self.line;
        self.bump();
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(Self::error_at(line, "text is not closed with `'`")),
                Some(_) if self.at_newline() => {
                    return Err(Self::error_at(
                        line,
                        "text is not closed with `'` on its line (use ''' … ''' for text over several lines)",
                    ));
                }
                Some('\'') => {
                    let out = self.text[start..self.pos].to_string();
                    self.bump();
                    return Ok(out);
                }
                Some(ch) if forbidden_control(ch) => {
                    return Err(self.error("control character in text"));
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
    }

    /// `"""…"""` (with escapes) or `'''…'''` (without). A newline right after the opening
    /// delimiter is dropped; up to two quotes may precede the closing delimiter.
    fn multiline_string(&mut self, escapes: bool) -> Result<String, SyntaxError> {
        let line = self.line;
        let (delim, quote) = if escapes {
            ("\"\"\"", '"')
        } else {
            ("'''", '\'')
        };
        self.eat(delim);
        self.eat_newline();
        let mut out = String::new();
        loop {
            if self.rest().starts_with(delim) {
                let quotes = self.rest().chars().take_while(|&c| c == quote).count();
                if quotes > 5 {
                    return Err(self.error(format!("too many `{quote}` where the text closes")));
                }
                for _ in 3..quotes {
                    out.push(quote);
                }
                for _ in 0..quotes {
                    self.bump();
                }
                return Ok(out);
            }
            match self.peek() {
                None => {
                    return Err(Self::error_at(
                        line,
                        format!("text started with {delim} is never closed"),
                    ));
                }
                Some('\\') if escapes => {
                    self.bump();
                    let save = (self.pos, self.line);
                    self.skip_blanks();
                    if self.eat_newline() {
                        // A line-ending backslash: the line break and the indentation of
                        // the next lines are dropped.
                        loop {
                            if self.eat_newline() {
                                continue;
                            }
                            if matches!(self.peek(), Some(' ' | '\t')) {
                                self.bump();
                                continue;
                            }
                            break;
                        }
                    } else {
                        (self.pos, self.line) = save;
                        out.push(self.escape()?);
                    }
                }
                Some(_) if self.at_newline() => {
                    self.eat_newline();
                    out.push('\n');
                }
                Some(ch) if forbidden_control(ch) => {
                    return Err(self.error("control character in text"));
                }
                Some(ch) => {
                    self.bump();
                    out.push(ch);
                }
            }
        }
    }

    /// After a backslash in a basic string.
    fn escape(&mut self) -> Result<char, SyntaxError> {
        let line = self.line;
        let ch = match self.bump() {
            Some('b') => '\u{8}',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('f') => '\u{c}',
            Some('r') => '\r',
            Some('e') => '\u{1b}',
            Some('"') => '"',
            Some('\\') => '\\',
            Some('x') => self.hex_escape(2, line)?,
            Some('u') => self.hex_escape(4, line)?,
            Some('U') => self.hex_escape(8, line)?,
            _ => {
                return Err(Self::error_at(
                    line,
                    "invalid escape after `\\` in \"…\" text: write a backslash as \\\\, or use 'single quotes', which take the text as it is",
                ));
            }
        };
        Ok(ch)
    }

    fn hex_escape(&mut self, digits: usize, line: usize) -> Result<char, SyntaxError> {
        let start = self.pos;
        for _ in 0..digits {
            match self.peek() {
                Some(c) if c.is_ascii_hexdigit() => {
                    self.bump();
                }
                _ => {
                    return Err(Self::error_at(
                        line,
                        format!("this escape needs {digits} hexadecimal digits"),
                    ));
                }
            }
        }
        u32::from_str_radix(&self.text[start..self.pos], 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| Self::error_at(line, "escape is not a valid Unicode character"))
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        let line = self.line;
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_array_space();
            match self.peek() {
                None => return Err(Self::error_at(line, "list is not closed with `]`")),
                Some(']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                Some(_) => {}
            }
            let item_line = self.line;
            let value = self.value()?;
            items.push(Item {
                value,
                line: item_line,
            });
            self.skip_array_space();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {
                    self.bump();
                    return Ok(Value::Array(items));
                }
                None => return Err(Self::error_at(line, "list is not closed with `]`")),
                Some(_) => {
                    return Err(self
                        .error("expected `,` or `]` in the list (each entry is text in quotes)"));
                }
            }
        }
    }

    /// Blanks, comments and line breaks, which lists may contain anywhere.
    fn skip_array_space(&mut self) {
        loop {
            self.skip_blanks();
            self.skip_comment();
            if !self.eat_newline() {
                break;
            }
        }
    }

    /// A bare value: a number, true/false, a date (recognised, not kept). The token is
    /// never echoed: an unquoted stock entry would be a secret.
    fn scalar(&mut self) -> Result<Value, SyntaxError> {
        let line = self.line;
        let start = self.pos;
        while let Some(ch) = self.peek() {
            if matches!(
                ch,
                ' ' | '\t' | '\r' | '\n' | ',' | '[' | ']' | '{' | '}' | '#' | '=' | '"' | '\''
            ) {
                break;
            }
            self.bump();
        }
        classify(&self.text[start..self.pos]).map_err(|m| Self::error_at(line, m))
    }
}

fn classify(token: &str) -> Result<Value, String> {
    const NOT_A_VALUE: &str =
        "expected a value: text in quotes (\"…\"), a whole number, true/false or a [list]";
    match token {
        "" => return Err(NOT_A_VALUE.to_string()),
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => return Ok(Value::Float),
        _ => {}
    }
    let b = token.as_bytes();
    let digits_then =
        |n: usize, sep: u8| b.len() > n && b[..n].iter().all(u8::is_ascii_digit) && b[n] == sep;
    if digits_then(4, b'-') || digits_then(2, b':') {
        return Ok(Value::DateTime);
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = token.strip_prefix(prefix) {
            return whole(digits, radix, false).map(Value::Int);
        }
    }
    let (negative, unsigned) = match b[0] {
        b'+' => (false, &token[1..]),
        b'-' => (true, &token[1..]),
        _ => (false, token),
    };
    if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(NOT_A_VALUE.to_string());
    }
    if unsigned.bytes().all(|c| c.is_ascii_digit() || c == b'_') {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return Err("numbers cannot start with 0".to_string());
        }
        return whole(unsigned, 10, negative).map(Value::Int);
    }
    let plain: String = unsigned.chars().filter(|&c| c != '_').collect();
    if unsigned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'e' | b'E' | b'+' | b'-'))
        && plain.parse::<f64>().is_ok()
    {
        return Ok(Value::Float);
    }
    Err(NOT_A_VALUE.to_string())
}

/// Digits with single underscores between them.
fn whole(digits: &str, radix: u32, negative: bool) -> Result<i64, String> {
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return Err("malformed number (underscores only between digits)".to_string());
    }
    let plain: String = digits.chars().filter(|&c| c != '_').collect();
    let magnitude =
        i128::from_str_radix(&plain, radix).map_err(|_| "malformed number".to_string())?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| "number is too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Value {
        let tables = parse(&format!("v = {text}\n")).unwrap_or_else(|e| {
            panic!("{text}: line {}: {}", e.line, e.message);
        });
        tables.into_iter().next().unwrap().entries.remove(0).value
    }

    fn text(v: Value) -> String {
        match v {
            Value::Str(s) => s,
            other => panic!("not text: {}", other.kind()),
        }
    }

    #[test]
    fn strings_in_all_four_forms() {
        assert_eq!(
            text(one(r#""a \"b\" \\ \t \u00e9 \U0001F600""#)),
            "a \"b\" \\ \t é 😀"
        );
        assert_eq!(text(one(r"'C:\path\no escapes'")), r"C:\path\no escapes");
        assert_eq!(
            text(one("\"\"\"\nline 1\nline \"2\"\"\"\"")),
            "line 1\nline \"2\""
        );
        assert_eq!(text(one("\"\"\"one \\\n    two\"\"\"")), "one two");
        assert_eq!(text(one("'''\nraw \\n\r\nsecond'''")), "raw \\n\nsecond");
        assert_eq!(text(one("'''it''s'''")), "it''s");
    }

    #[test]
    fn numbers_booleans_and_what_is_refused() {
        assert!(matches!(one("30_000"), Value::Int(30000)));
        assert!(matches!(one("-5"), Value::Int(-5)));
        assert!(matches!(one("0x1F"), Value::Int(31)));
        assert!(matches!(one("true"), Value::Bool(true)));
        assert!(matches!(one("30.000"), Value::Float));
        assert!(matches!(one("1e3"), Value::Float));
        assert!(matches!(one("2026-01-01"), Value::DateTime));
        for bad in [
            "Netflix",
            "030",
            "1__0",
            "99999999999999999999",
            "{ a = 1 }",
            "\"open",
        ] {
            assert!(parse(&format!("v = {bad}\n")).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn lists_keep_each_item_line() {
        let tables = parse("[[t]]\nv = [\n  \"a\", # note\n\n  'b',\n]\n").unwrap();
        let Value::Array(items) = &tables[1].entries[0].value else {
            panic!("not a list");
        };
        let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
        assert_eq!(lines, [3, 5]);
        assert_eq!(tables[1].line, 1);
        assert_eq!(tables[1].entries[0].line, 2);
    }

    #[test]
    fn line_numbers_count_lines_inside_multiline_text() {
        let tables = parse("a = \"\"\"\n1\n2\n\"\"\"\r\nb = 1\n").unwrap();
        assert_eq!(tables[0].entries[1].line, 5);
        let err = parse("a = 1\nb = \"open\nc = 2\n").err().unwrap();
        assert_eq!(err.line, 2);
    }
}
