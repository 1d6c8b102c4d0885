//! Turning a plan request into a concrete one against a user's session.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method};
use sseload_scenario::{Body, Header, Request, Template};
use url::Url;

use crate::session::Session;

/// A request with every template rendered.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<Bytes>,
}

/// What a user needs to render.
pub(crate) struct Renderer<'a> {
    pub(crate) session: &'a Session,
    pub(crate) rng: &'a mut dyn rand::RngCore,
    pub(crate) base: &'a Url,
    pub(crate) defaults: &'a [Header],
}

impl Renderer<'_> {
    pub(crate) fn text(&mut self, template: &Template) -> Result<String, String> {
        template
            .render_to_string(self.session, self.rng, SystemTime::now())
            .map_err(|e| e.to_string())
    }

    /// Renders `request`; `Err` names what could not be rendered.
    pub(crate) fn request(&mut self, request: &Request) -> Result<Rendered, String> {
        let method = Method::from_bytes(request.method.as_bytes())
            .map_err(|_| format!("invalid method {:?}", request.method))?;
        let url = self.url(request)?;
        let mut headers = Vec::new();
        for header in self.defaults.iter().chain(&request.headers) {
            headers.push(self.header(header)?);
        }
        let body = match &request.body {
            None => None,
            Some(Body::Text(t)) => Some(Bytes::from(self.text(t)?)),
            Some(Body::Json(t)) => {
                if !headers.iter().any(|(n, _)| n == http::header::CONTENT_TYPE) {
                    headers.push((
                        http::header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ));
                }
                Some(Bytes::from(self.text(t)?))
            }
            Some(Body::File { bytes, .. }) => Some(Bytes::copy_from_slice(bytes)),
        };
        Ok(Rendered {
            method,
            url,
            headers,
            body,
        })
    }

    fn url(&mut self, request: &Request) -> Result<Url, String> {
        let text = self.text(&request.url)?;
        let mut url = match Url::parse(&text) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => self
                .base
                .join(&text)
                .map_err(|e| format!("invalid URL {text:?}: {e}"))?,
            Err(e) => return Err(format!("invalid URL {text:?}: {e}")),
        };
        if !request.query.is_empty() {
            let mut pairs = Vec::with_capacity(request.query.len());
            for (key, value) in &request.query {
                pairs.push((key.as_str(), self.text(value)?));
            }
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }

    fn header(&mut self, header: &Header) -> Result<(HeaderName, HeaderValue), String> {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| format!("invalid header name {:?}", header.name))?;
        let text = self.text(&header.value)?;
        let value = HeaderValue::from_str(&text)
            .map_err(|_| format!("header {} has an invalid value {text:?}", header.name))?;
        Ok((name, value))
    }
}

impl Rendered {
    /// The SSE client's request.
    pub(crate) fn into_sse(self) -> Result<sseload_client::Request, String> {
        let mut request = sseload_client::Request::new(self.method, self.url.as_str())
            .map_err(|e| e.to_string())?;
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = self.body {
            request = request.body(body);
        }
        Ok(request)
    }
}
