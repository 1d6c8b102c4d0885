//! Bearer-token checks, compared in constant time.

use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::config::Token;
use crate::respond::{self, Reply};

/// Checks `Authorization: Bearer <token>` when a token is required.
///
/// A missing or malformed header is answered 401 with `WWW-Authenticate`;
/// a wrong token 403.
pub(crate) fn check(
    headers: &HeaderMap,
    required: Option<&Token>,
    what: &str,
) -> Result<(), Reply> {
    let Some(required) = required else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| bearer(value.as_bytes()));
    match presented {
        None => {
            let message = format!("{what} needs an `Authorization: Bearer <token>` header");
            let mut reply = respond::error(StatusCode::UNAUTHORIZED, message);
            reply
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            Err(reply)
        }
        Some(token) if constant_time_eq(token, required.as_bytes()) => Ok(()),
        Some(_) => Err(respond::error(
            StatusCode::FORBIDDEN,
            format!("invalid bearer token for {what}"),
        )),
    }
}

/// Compares without an early exit, so the time taken does not tell how many
/// leading bytes matched. Only the length can leak.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The credentials of a `Bearer` authorization; the scheme's case does not
/// matter (RFC 9110, section 11.1).
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::{bearer, constant_time_eq};

    #[test]
    fn equal_and_unequal_tokens() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"BEARER abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bear"), None);
    }
}
