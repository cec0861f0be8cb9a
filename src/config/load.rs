//! Raw configuration sources and validation. (Stub: being implemented.)
use super::{Config};

/// One configuration problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: String,
    pub problem: String,
    pub expected: String,
}

/// Every configuration problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for e in &self.0 {
            writeln!(f, "{}: {}; expected {}", e.variable, e.problem, e.expected)?;
        }
        Ok(())
    }
}
impl std::error::Error for ConfigErrors {}

/// Raw values by variable name.
#[derive(Debug, Clone, Default)]
pub struct Source;

impl Source {
    pub fn from_env_and_file(_file: Option<&std::path::Path>) -> Result<Source, ConfigErrors> {
        todo!()
    }
}

pub(crate) fn url_path(_url: &str) -> Option<String> {
    None
}

pub(crate) fn build(_source: &Source) -> Result<Config, ConfigErrors> {
    todo!()
}
