//! Entry points for the fuzz targets in `fuzz/`: the pieces of the loader
//! that are not public API, exposed unchanged and hidden from the docs.
//! Not a stable interface; nothing else should call it.

use crate::expr::{Template, Vars};

/// Compiles a `#{…}` template exactly as the loader does, interning its
/// variables; a refusal is the message and the hint the loader reports.
pub fn compile_template(source: &str) -> Result<(Template, Vars), (String, &'static str)> {
    let mut vars = Vars::default();
    match crate::expr::compile(source, &mut vars) {
        Ok(template) => Ok((template, vars)),
        Err(err) => Err((err.message, err.hint)),
    }
}
