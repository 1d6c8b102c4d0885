//! Cross-origin access (CORS): which other origins' pages may read the
//! server's responses, so that an `EventSource` or `fetch` on a page served
//! from elsewhere can use the hub and the demo feeds.

use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::error::ConfigError;
use crate::respond::{self, Reply};

/// The request headers a cross-origin request may carry: bearer tokens,
/// JSON bodies, and the resume header of fetch-based SSE clients.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Last-Event-ID, Cache-Control";

/// How long a browser may cache a preflight answer, in seconds.
const MAX_AGE: &str = "600";

/// Which origins may read the server's responses across origins.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorsOrigin {
    /// Any origin (`Access-Control-Allow-Origin: *`); no credentials.
    Any,
    /// This one origin, like `https://app.example.com`; credentials (cookies) allowed.
    Exact(String),
}

impl CorsOrigin {
    /// `*` is [`Any`](Self::Any); anything else is one [`Exact`](Self::Exact)
    /// origin (checked by [`ServerBuilder::build`](crate::ServerBuilder::build)).
    pub fn new(origin: &str) -> Self {
        match origin {
            "*" => Self::Any,
            exact => Self::Exact(exact.to_owned()),
        }
    }

    /// Checks that an exact origin is `scheme://host[:port]`, as browsers send it.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let Self::Exact(origin) = self else {
            return Ok(());
        };
        let host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let valid = host.is_some_and(|host| {
            !host.is_empty()
                && !host.contains(['/', '?', '#', '@'])
                && HeaderValue::from_str(origin).is_ok()
        });
        if valid {
            Ok(())
        } else {
            Err(ConfigError::CorsOrigin(origin.clone()))
        }
    }

    /// Adds the headers that let the origin read a response.
    pub(crate) fn allow(&self, headers: &mut HeaderMap) {
        let value = match self {
            Self::Any => HeaderValue::from_static("*"),
            Self::Exact(origin) => match HeaderValue::from_str(origin) {
                Ok(value) => value,
                Err(_) => return,
            },
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if matches!(self, Self::Exact(_)) {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

/// The answer to a preflight `OPTIONS` request for a route that takes `methods`.
pub(crate) fn preflight(methods: &'static str) -> Reply {
    let mut reply = respond::empty(StatusCode::NO_CONTENT);
    let headers = reply.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    reply
}

#[cfg(test)]
mod tests {
    use super::CorsOrigin;
    use crate::error::ConfigError;

    #[test]
    fn origins_are_a_scheme_and_a_host() {
        assert_eq!(CorsOrigin::new("*"), CorsOrigin::Any);
        for good in ["*", "http://127.0.0.1:8080", "https://app.example.com"] {
            assert_eq!(CorsOrigin::new(good).check(), Ok(()), "{good}");
        }
        for bad in [
            "",
            "app.example.com",
            "https://",
            "https://app.example.com/",
            "https://app.example.com/page",
            "ftp://example.com",
            "https://exa\nmple.com",
        ] {
            assert_eq!(
                CorsOrigin::new(bad).check(),
                Err(ConfigError::CorsOrigin(bad.to_owned())),
                "{bad:?}"
            );
        }
    }
}
