//! The template compiler: text to [`Template`], once, when the plan is built.

use super::Vars;
use super::template::{Access, Function, Part, Template, VarFunction, VarRef};

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    /// What is wrong.
    pub(crate) message: String,
    /// A suggestion.
    pub(crate) hint: &'static str,
}

const SYNTAX: &str = "write #{name}, #{name.key}, #{name(0)}, #{name.size()} or #{randomUuid()}; \\#{ writes a literal #{";

fn error(message: String) -> TemplateError {
    TemplateError {
        message,
        hint: SYNTAX,
    }
}

/// Compiles `source`, interning the variables it reads.
pub(crate) fn compile(source: &str, vars: &mut Vars) -> Result<Template, TemplateError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = source;
    while let Some(at) = rest.find("#{") {
        if rest[..at].ends_with('\\') {
            literal.push_str(&rest[..at - 1]);
            literal.push_str("#{");
            rest = &rest[at + 2..];
            continue;
        }
        literal.push_str(&rest[..at]);
        let inner = &rest[at + 2..];
        let end = inner
            .find('}')
            .ok_or_else(|| error(format!("unclosed `#{{` in `{source}`")))?;
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(expression(inner[..end].trim(), vars)?);
        rest = &inner[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(Template {
        source: source.to_owned(),
        parts,
    })
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Splits a leading name off `text`.
fn name(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !is_name_char(c)).unwrap_or(text.len());
    text.split_at(end)
}

fn expression(text: &str, vars: &mut Vars) -> Result<Part, TemplateError> {
    let (head, rest) = name(text);
    if head.is_empty() {
        return Err(error(format!(
            "expected a variable or function name in `#{{{text}}}`"
        )));
    }
    if let Some(args) = rest.strip_prefix('(').filter(|_| is_function(head)) {
        let args = args
            .strip_suffix(')')
            .ok_or_else(|| error(format!("expected `)` to end `#{{{text}}}`")))?;
        return function(head, args).map(Part::Call);
    }
    let var = vars.intern(head);
    let (path, then) = accesses(rest, text)?;
    Ok(Part::Var(VarRef {
        text: text.to_owned(),
        var,
        path,
        then,
    }))
}

/// The longest `randomAlphanumeric(n)`: rendering must stay cheap.
const MAX_RANDOM_TEXT: usize = 65_536;
/// The most digits `randomDouble` rounds to (an f64 holds about 17).
const MAX_DIGITS: u32 = 17;

const FUNCTIONS: [&str; 7] = [
    "randomInt",
    "randomLong",
    "randomDouble",
    "randomUuid",
    "randomAlphanumeric",
    "currentTimeMillis",
    "currentDate",
];

fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

fn accesses(
    mut rest: &str,
    whole: &str,
) -> Result<(Vec<Access>, Option<VarFunction>), TemplateError> {
    let mut path = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('(') {
            let (index, tail) = after
                .split_once(')')
                .ok_or_else(|| error(format!("expected `)` in `#{{{whole}}}`")))?;
            let index = index
                .trim()
                .parse()
                .map_err(|_| error(format!("`{index}` is not an index in `#{{{whole}}}`")))?;
            path.push(Access::Index(index));
            rest = tail;
        } else if let Some(after) = rest.strip_prefix('.') {
            let (key, tail) = name(after);
            if key.is_empty() {
                return Err(error(format!("expected a key after `.` in `#{{{whole}}}`")));
            }
            if let Some(tail) = tail.strip_prefix("()") {
                return finish(path, key, tail, whole);
            }
            path.push(Access::Key(key.to_owned()));
            rest = tail;
        } else {
            return Err(error(format!("unexpected `{rest}` in `#{{{whole}}}`")));
        }
    }
    Ok((path, None))
}

fn finish(
    path: Vec<Access>,
    function: &str,
    tail: &str,
    whole: &str,
) -> Result<(Vec<Access>, Option<VarFunction>), TemplateError> {
    if !tail.is_empty() {
        return Err(error(format!(
            "nothing may follow `.{function}()` in `#{{{whole}}}`"
        )));
    }
    let then = match function {
        "size" => VarFunction::Size,
        "random" => VarFunction::Random,
        "exists" => VarFunction::Exists,
        "isUndefined" => VarFunction::IsUndefined,
        "jsonStringify" => VarFunction::JsonStringify,
        other => {
            return Err(TemplateError {
                message: format!("unknown function `.{other}()` in `#{{{whole}}}`"),
                hint: "functions on a variable: size(), random(), exists(), isUndefined(), jsonStringify()",
            });
        }
    };
    Ok((path, Some(then)))
}

fn function(name: &str, args: &str) -> Result<Function, TemplateError> {
    let args: Vec<&str> = if args.trim().is_empty() {
        Vec::new()
    } else {
        args.split(',').map(str::trim).collect()
    };
    let call = format!("{name}({})", args.join(", "));
    let bad = || error(format!("wrong arguments in `{call}`"));
    let int = |s: &str| s.parse::<i64>().map_err(|_| bad());
    match (name, args.as_slice()) {
        ("randomInt", []) => Ok(Function::RandomInt {
            min: 0,
            max: i64::from(i32::MAX),
        }),
        ("randomLong", []) => Ok(Function::RandomLong {
            min: 0,
            max: i64::MAX,
        }),
        ("randomInt", [a, b]) => {
            range(int(a)?, int(b)?, &call).map(|(min, max)| Function::RandomInt { min, max })
        }
        ("randomLong", [a, b]) => {
            range(int(a)?, int(b)?, &call).map(|(min, max)| Function::RandomLong { min, max })
        }
        ("randomDouble", [a, b, rest @ ..]) if rest.len() <= 1 => {
            random_double(a, b, rest.first().copied(), &call)
        }
        ("randomUuid", []) => Ok(Function::RandomUuid),
        ("randomAlphanumeric", [n]) => n
            .parse()
            .ok()
            .filter(|n| *n <= MAX_RANDOM_TEXT)
            .map(Function::RandomAlphanumeric)
            .ok_or_else(bad),
        ("currentTimeMillis", []) => Ok(Function::CurrentTimeMillis),
        ("currentDate", []) => Ok(Function::CurrentDate),
        ("currentDate", [_]) => Err(TemplateError {
            message: format!("date patterns are not supported in `{call}`"),
            hint: "currentDate() writes RFC 3339 (ISO 8601) in UTC; currentTimeMillis() writes epoch milliseconds",
        }),
        _ => Err(bad()),
    }
}

fn range(min: i64, max: i64, call: &str) -> Result<(i64, i64), TemplateError> {
    if min < max {
        Ok((min, max))
    } else {
        Err(error(format!(
            "empty range in `{call}`: the minimum must be below the maximum"
        )))
    }
}

fn random_double(
    a: &str,
    b: &str,
    digits: Option<&str>,
    call: &str,
) -> Result<Function, TemplateError> {
    let bad = || error(format!("wrong arguments in `{call}`"));
    let min: f64 = a.parse().map_err(|_| bad())?;
    let max: f64 = b.parse().map_err(|_| bad())?;
    if min.partial_cmp(&max) != Some(std::cmp::Ordering::Less) {
        return Err(error(format!(
            "empty range in `{call}`: the minimum must be below the maximum"
        )));
    }
    if !(min.is_finite() && max.is_finite()) {
        return Err(bad());
    }
    let digits = digits
        .map(|d| d.parse().ok().filter(|d| *d <= MAX_DIGITS).ok_or_else(bad))
        .transpose()?;
    Ok(Function::RandomDouble { min, max, digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(source: &str) -> (Vec<Part>, Vars) {
        let mut vars = Vars::default();
        let template = compile(source, &mut vars).unwrap();
        (template.parts, vars)
    }

    #[test]
    fn literal_text_stays_one_part() {
        assert_eq!(
            parts("/stocks/prices").0,
            vec![Part::Literal("/stocks/prices".into())]
        );
        assert_eq!(parts("").0, vec![]);
    }

    #[test]
    fn variables_are_interned() {
        let (p, vars) = parts("/users/#{id}/x/#{id}#{name}");
        assert_eq!(vars.len(), 2);
        assert_eq!(p.len(), 5);
        let id = vars.get("id").unwrap();
        assert_eq!(
            p[1],
            Part::Var(VarRef {
                text: "id".into(),
                var: id,
                path: vec![],
                then: None
            })
        );
    }

    #[test]
    fn paths_and_functions() {
        let (p, vars) = parts("#{order.items(-1).sku.size()}");
        let var = vars.get("order").unwrap();
        let expected = VarRef {
            text: "order.items(-1).sku.size()".into(),
            var,
            path: vec![
                Access::Key("items".into()),
                Access::Index(-1),
                Access::Key("sku".into()),
            ],
            then: Some(VarFunction::Size),
        };
        assert_eq!(p, vec![Part::Var(expected)]);
    }

    #[test]
    fn builtin_functions() {
        assert_eq!(
            parts("#{randomInt(1, 10)}").0,
            vec![Part::Call(Function::RandomInt { min: 1, max: 10 })]
        );
        assert_eq!(
            parts("#{randomUuid()}").0,
            vec![Part::Call(Function::RandomUuid)]
        );
        assert_eq!(
            parts("#{currentDate()}").0,
            vec![Part::Call(Function::CurrentDate)]
        );
    }

    #[test]
    fn escaped_opening_is_literal() {
        assert_eq!(parts("a\\#{b}").0, vec![Part::Literal("a#{b}".into())]);
    }

    #[test]
    fn errors_name_the_problem() {
        let mut vars = Vars::default();
        let message = |s: &str| compile(s, &mut Vars::default()).unwrap_err().message;
        assert_eq!(message("x #{id"), "unclosed `#{` in `x #{id`");
        assert_eq!(
            message("#{}"),
            "expected a variable or function name in `#{}`"
        );
        assert_eq!(
            message("#{a.nope()}"),
            "unknown function `.nope()` in `#{a.nope()}`"
        );
        assert_eq!(
            message("#{randomInt(5, 1)}"),
            "empty range in `randomInt(5, 1)`: the minimum must be below the maximum"
        );
        assert_eq!(message("#{a(x)}"), "`x` is not an index in `#{a(x)}`");
        assert!(compile("#{currentDate(yyyy)}", &mut vars).is_err());
        assert_eq!(
            message("#{randomDouble(0, inf)}"),
            "wrong arguments in `randomDouble(0, inf)`"
        );
        assert_eq!(
            message("#{randomDouble(0, 1, 99)}"),
            "wrong arguments in `randomDouble(0, 1, 99)`"
        );
        assert_eq!(
            message("#{randomAlphanumeric(99999999)}"),
            "wrong arguments in `randomAlphanumeric(99999999)`"
        );
    }
}
