//! Query strings: parsed once, taken key by key, and leftovers refused.

use std::str::FromStr;

/// The decoded `key=value` pairs of a request's query string.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self { pairs }
    }

    /// Removes and returns the last value of `key`.
    pub(crate) fn take(&mut self, key: &str) -> Option<String> {
        let mut found = None;
        self.pairs.retain(|(k, v)| {
            if k == key {
                found = Some(v.clone());
                return false;
            }
            true
        });
        found
    }

    /// Takes `key` and parses it.
    pub(crate) fn parsed<T: FromStr>(
        &mut self,
        key: &str,
        expected: &str,
    ) -> Result<Option<T>, String> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        value.parse().map(Some).map_err(|_| {
            format!("query parameter `{key}`: invalid value {value:?} (expected {expected})")
        })
    }

    /// Takes `key` as a comma-separated list of non-empty items.
    pub(crate) fn list(&mut self, key: &str) -> Result<Option<Vec<String>>, String> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let items: Vec<String> = value.split(',').map(str::to_owned).collect();
        if items.iter().any(String::is_empty) {
            return Err(format!("query parameter `{key}`: empty item in {value:?}"));
        }
        Ok(Some(items))
    }

    /// Refuses any parameter nobody took.
    pub(crate) fn finish(self) -> Result<(), String> {
        match self.pairs.into_iter().next() {
            Some((key, _)) => Err(format!("unknown query parameter `{key}`")),
            None => Ok(()),
        }
    }
}
