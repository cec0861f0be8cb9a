//! [`Source`]: the raw text of every setting, from the environment and an optional TOML file.
//!
//! Kept separate from validation so tests (and `autoorder config check`) can feed values
//! without touching the process environment, which edition 2024 makes `unsafe` to mutate.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::vars;
use super::{ConfigError, ConfigErrors};

/// Where a raw value came from, so a message can point at the right place to fix it.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Origin {
    /// The process environment (or the pairs given to [`Source::layered`]).
    Env,
    /// The TOML file at this path.
    File(PathBuf),
}

/// Raw configuration values by variable name, before validation.
///
/// Empty values count as unset, so a `bot.env` line like `OWNER_BOT_TOKEN=` means "use the
/// default", as it did for the old Python bot. Only known variable names are held: unrelated
/// environment variables are ignored, unknown TOML keys are reported as errors.
#[derive(Clone, Default)]
pub struct Source {
    values: BTreeMap<String, (String, Origin)>,
}

impl Source {
    /// Reads the known variables from the process environment, layered over the TOML file
    /// when one is given (the environment wins).
    pub fn from_env_and_file(file: Option<&Path>) -> Result<Source, ConfigErrors> {
        let mut errors = Vec::new();
        let mut env = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            if !vars::is_known(name) {
                continue;
            }
            match value.into_string() {
                Ok(value) => env.push((name.to_string(), value)),
                Err(_) => errors.push(ConfigError {
                    variable: name.to_string(),
                    problem: "is not valid UTF-8 text".to_string(),
                    expected: "UTF-8 text".to_string(),
                }),
            }
        }
        Source::assemble(file, env, errors)
    }

    /// Builds a source from an optional TOML file and explicit `(name, value)` pairs that
    /// play the part of the environment (they win over the file). Pairs whose name is not a
    /// known variable are ignored, exactly like unrelated environment variables.
    pub fn layered(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Source, ConfigErrors> {
        Source::assemble(file, env, Vec::new())
    }

    /// The raw (trimmed, non-empty) value of `name`, if set. Validation happens in
    /// [`Config::from_source`](super::super::Config::from_source); secrets are returned as
    /// plain text here, so callers must not print them.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(value, _)| value.as_str())
    }

    /// Every variable name the loader understands, in documentation order.
    pub fn known_variables() -> &'static [&'static str] {
        vars::KNOWN
    }

    /// Where the value of `name` came from.
    pub(super) fn origin(&self, name: &str) -> Option<&Origin> {
        self.values.get(name).map(|(_, origin)| origin)
    }

    fn assemble(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        mut errors: Vec<ConfigError>,
    ) -> Result<Source, ConfigErrors> {
        let mut source = Source::default();
        if let Some(path) = file {
            for (name, value) in read_toml(path, &mut errors) {
                source.insert(name, value, Origin::File(path.to_path_buf()));
            }
        }
        for (name, value) in env {
            if vars::is_known(&name) {
                source.insert(name, value, Origin::Env);
            }
        }
        if errors.is_empty() {
            Ok(source)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// Sets `name`, unless the value is blank (blank means unset and leaves any earlier,
    /// lower-priority value in place).
    fn insert(&mut self, name: String, value: String, origin: Origin) {
        let value = value.trim();
        if !value.is_empty() {
            self.values.insert(name, (value.to_string(), origin));
        }
    }
}

impl fmt::Debug for Source {
    /// Shows names, origins and non-secret values; secrets appear as `[redacted]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, (value, origin)) in &self.values {
            let from = match origin {
                Origin::Env => "env".to_string(),
                Origin::File(path) => path.display().to_string(),
            };
            if vars::is_secret(name) || name == "DATABASE_URL" {
                map.entry(name, &format_args!("[redacted] ({from})"));
            } else {
                map.entry(name, &format_args!("{value:?} ({from})"));
            }
        }
        map.finish()
    }
}

/// Reads and flattens a TOML file into `(VARIABLE, value)` pairs, recording every problem.
fn read_toml(path: &Path, errors: &mut Vec<ConfigError>) -> Vec<(String, String)> {
    let file_error = |problem: String, expected: &str| ConfigError {
        variable: path.display().to_string(),
        problem,
        expected: expected.to_string(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            errors.push(file_error(
                format!("cannot be read: {err}"),
                "a readable UTF-8 TOML file",
            ));
            return Vec::new();
        }
    };
    let table = match text.parse::<toml::Table>() {
        Ok(table) => table,
        Err(err) => {
            // Only the message and the line: the error's own Display quotes the offending
            // line, which could be a token.
            let line = err.span().map(|span| {
                let before = text.as_bytes().get(..span.start).unwrap_or(text.as_bytes());
                before.iter().filter(|&&byte| byte == b'\n').count() + 1
            });
            let at = line
                .map(|line| format!(" at line {line}"))
                .unwrap_or_default();
            errors.push(file_error(
                format!("is not valid TOML{at}: {}", err.message().trim()),
                "a TOML file of settings (see conf/autoorder.example.toml)",
            ));
            return Vec::new();
        }
    };
    let mut flat = Vec::new();
    flatten(path, "", "", &table, &mut flat, errors);

    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (name, key, value) in flat {
        if !vars::is_known(&name) {
            let leaf = key.rsplit('.').next().unwrap_or(&key).to_ascii_uppercase();
            let hint = match vars::closest(&name, &leaf) {
                Some(known) => format!("; did you mean {known}?"),
                None => String::new(),
            };
            errors.push(ConfigError {
                variable: name,
                problem: format!("unknown key \"{key}\" in {}", path.display()),
                expected: format!(
                    "a known setting (the table path and key joined with _ give the variable name){hint}"
                ),
            });
            continue;
        }
        if let Some(first) = seen.get(&name) {
            errors.push(ConfigError {
                variable: name.clone(),
                problem: format!(
                    "set twice in {}, as \"{first}\" and as \"{key}\"",
                    path.display()
                ),
                expected: "each setting once per file".to_string(),
            });
            continue;
        }
        seen.insert(name.clone(), key);
        out.push((name, value));
    }
    out
}

/// Walks `table`, turning `[a.b] c = v` into `("A_B_C", "a.b.c", text of v)`.
fn flatten(
    path: &Path,
    prefix: &str,
    dotted: &str,
    table: &toml::Table,
    out: &mut Vec<(String, String, String)>,
    errors: &mut Vec<ConfigError>,
) {
    for (key, value) in table {
        let upper = key.to_ascii_uppercase().replace('-', "_");
        let name = if prefix.is_empty() {
            upper
        } else {
            format!("{prefix}_{upper}")
        };
        let dotted_key = if dotted.is_empty() {
            key.clone()
        } else {
            format!("{dotted}.{key}")
        };
        if let toml::Value::Table(inner) = value {
            flatten(path, &name, &dotted_key, inner, out, errors);
            continue;
        }
        match value_text(value) {
            Some(text) => out.push((name, dotted_key, text)),
            None => errors.push(ConfigError {
                variable: name,
                problem: format!(
                    "key \"{dotted_key}\" in {} holds a nested array or table",
                    path.display()
                ),
                expected: "a string, number, boolean, time or an array of those".to_string(),
            }),
        }
    }
}

/// The text a scalar (or a flat array, joined with `,`) stands for.
fn value_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Float(number) => Some(number.to_string()),
        toml::Value::Boolean(flag) => Some(flag.to_string()),
        toml::Value::Datetime(datetime) => Some(datetime_text(datetime)),
        toml::Value::Array(items) => {
            let parts = items
                .iter()
                .map(|item| match item {
                    toml::Value::Array(_) | toml::Value::Table(_) => None,
                    scalar => value_text(scalar),
                })
                .collect::<Option<Vec<_>>>()?;
            Some(parts.join(","))
        }
        toml::Value::Table(_) => None,
    }
}

/// A bare TOML local time like `02:00` becomes `02:00`, so `time = 02:00` works as well as
/// `time = "02:00"`; anything else keeps its TOML spelling.
fn datetime_text(datetime: &toml::value::Datetime) -> String {
    match (datetime.date, datetime.time, datetime.offset) {
        (None, Some(time), None) if time.second == 0 && time.nanosecond == 0 => {
            format!("{:02}:{:02}", time.hour, time.minute)
        }
        _ => datetime.to_string(),
    }
}
