//! `parse_mode=HTML` the way Telegram parses it: supported tags become
//! entities (offsets in UTF-16 code units), `&lt; &gt; &amp; &quot;` and
//! numeric references are decoded, and anything else Telegram rejects is an
//! error whose text follows Telegram's (`Unsupported start tag "x" at byte
//! offset N`, ...), to be prefixed with `Bad Request: can't parse entities: `.

use serde_json::{Value, json};

/// Text with markup removed and the entities it described.
pub(crate) struct Parsed {
    pub text: String,
    pub entities: Vec<Value>,
}

const SUPPORTED: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

struct Open {
    tag: String,
    attrs: Vec<(String, String)>,
    start: usize,
    /// Set by a `<code class="language-x">` directly inside a `<pre>`.
    language: Option<String>,
}

impl Open {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn parse(src: &str) -> Result<Parsed, String> {
    let bytes = src.as_bytes();
    let mut text = String::with_capacity(src.len());
    let mut utf16 = 0usize;
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let (c, len) = decode_reference(&src[i..]).unwrap_or(('&', 1));
                text.push(c);
                utf16 += c.len_utf16();
                i += len;
            }
            b'<' => {
                let begin = i;
                i += 1;
                if bytes.get(i) == Some(&b'/') {
                    i += 1;
                    let name_start = i;
                    while i < bytes.len() && bytes[i] != b'>' {
                        i += 1;
                    }
                    if i == bytes.len() {
                        return Err(format!("Can't find end tag at byte offset {begin}"));
                    }
                    let name = src[name_start..i].trim().to_ascii_lowercase();
                    i += 1;
                    let Some(open) = stack.pop() else {
                        return Err(format!("Unexpected end tag at byte offset {begin}"));
                    };
                    if !name.is_empty() && name != open.tag {
                        return Err(format!(
                            "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{name}>\"",
                            open.tag
                        ));
                    }
                    close(open, utf16, &mut stack, &mut entities);
                } else {
                    let name_start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    let tag = src[name_start..i].to_ascii_lowercase();
                    if !SUPPORTED.contains(&tag.as_str()) {
                        return Err(format!(
                            "Unsupported start tag \"{tag}\" at byte offset {begin}"
                        ));
                    }
                    let (attrs, end) = parse_attributes(src, i)
                        .ok_or_else(|| format!("Unclosed start tag at byte offset {begin}"))?;
                    i = end;
                    let open = Open {
                        tag,
                        attrs,
                        start: utf16,
                        language: None,
                    };
                    if open.tag == "span" && open.attr("class") != Some("tg-spoiler") {
                        return Err(format!(
                            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
                        ));
                    }
                    stack.push(open);
                }
            }
            _ => {
                let c = src[i..].chars().next().unwrap_or('\u{FFFD}');
                text.push(c);
                utf16 += c.len_utf16();
                i += c.len_utf8();
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.tag
        ));
    }
    entities.sort_by_key(|e: &Value| {
        (
            e["offset"].as_u64().unwrap_or(0),
            std::cmp::Reverse(e["length"].as_u64().unwrap_or(0)),
        )
    });
    Ok(Parsed { text, entities })
}

fn close(open: Open, end: usize, stack: &mut [Open], entities: &mut Vec<Value>) {
    let length = end - open.start;
    if open.tag == "code"
        && let Some(parent) = stack.last_mut()
        && parent.tag == "pre"
        && parent.start == open.start
    {
        // <pre><code class="language-x"> is one pre entity with a language.
        if let Some(language) = open.attr("class").and_then(|c| c.strip_prefix("language-")) {
            parent.language = Some(language.to_owned());
        }
        return;
    }
    if length == 0 {
        return;
    }
    let mut entity = json!({"offset": open.start, "length": length});
    let kind = match open.tag.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "span" | "tg-spoiler" => "spoiler",
        "code" => "code",
        "pre" => {
            if let Some(language) = &open.language {
                entity["language"] = json!(language);
            }
            "pre"
        }
        "blockquote" if open.attrs.iter().any(|(k, _)| k == "expandable") => {
            "expandable_blockquote"
        }
        "blockquote" => "blockquote",
        "a" => match open.attr("href") {
            Some(href) if !href.is_empty() => {
                entity["url"] = json!(href);
                "text_link"
            }
            _ => return,
        },
        "tg-emoji" => match open.attr("emoji-id") {
            Some(id) => {
                entity["custom_emoji_id"] = json!(id);
                "custom_emoji"
            }
            None => return,
        },
        _ => return,
    };
    entity["type"] = json!(kind);
    entities.push(entity);
}

/// Attributes from `start` (just after the tag name) to the closing `>`;
/// returns them and the index after the `>`, or `None` if the tag never ends.
fn parse_attributes(src: &str, mut i: usize) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = src.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i)? {
            b'>' => return Some((attrs, i + 1)),
            b'/' if bytes.get(i + 1) == Some(&b'>') => return Some((attrs, i + 2)),
            _ => {}
        }
        let name_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'>' | b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        let name = src[name_start..i].to_ascii_lowercase();
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            match bytes.get(i)? {
                quote @ (b'"' | b'\'') => {
                    let end = i + 1 + src[i + 1..].find(*quote as char)?;
                    value = decode_all(&src[i + 1..end]);
                    i = end + 1;
                }
                _ => {
                    let value_start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = decode_all(&src[value_start..i]);
                }
            }
        }
        attrs.push((name, value));
    }
}

fn decode_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s.as_bytes()[i] == b'&'
            && let Some((c, len)) = decode_reference(&s[i..])
        {
            out.push(c);
            i += len;
        } else {
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `&lt;` etc. at the start of `s` → (char, bytes consumed).
fn decode_reference(s: &str) -> Option<(char, usize)> {
    let semi = s.get(..12).unwrap_or(s).find(';')?;
    let name = &s[1..semi];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                name.strip_prefix('#')?.parse().ok()?
            };
            char::from_u32(code)?
        }
    };
    Some((c, semi + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_entities() {
        let p =
            parse("<b>Harga</b>: Rp 10.000 &amp; <a href=\"https://x.id/?a=1&amp;b=2\">link</a>")
                .unwrap();
        assert_eq!(p.text, "Harga: Rp 10.000 & link");
        assert_eq!(
            p.entities,
            vec![
                json!({"type": "bold", "offset": 0, "length": 5}),
                json!({"type": "text_link", "offset": 19, "length": 4, "url": "https://x.id/?a=1&b=2"}),
            ]
        );
    }

    #[test]
    fn offsets_count_utf16() {
        let p = parse("😀 <i>x</i>").unwrap();
        assert_eq!(p.entities[0]["offset"], 3);
    }

    #[test]
    fn pre_with_language() {
        let p = parse("<pre><code class=\"language-rust\">fn</code></pre>").unwrap();
        assert_eq!(
            p.entities,
            vec![json!({"type": "pre", "offset": 0, "length": 2, "language": "rust"})]
        );
    }

    #[test]
    fn errors_read_like_telegram() {
        assert_eq!(
            parse("1 < 2").err().unwrap(),
            "Unsupported start tag \"\" at byte offset 2"
        );
        assert_eq!(
            parse("<br>").err().unwrap(),
            "Unsupported start tag \"br\" at byte offset 0"
        );
        assert_eq!(
            parse("<b>x").err().unwrap(),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(
            parse("<b>x</i>").err().unwrap(),
            "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""
        );
        assert_eq!(
            parse("x</b>").err().unwrap(),
            "Unexpected end tag at byte offset 1"
        );
    }
}
