//! Interpolation: `${VAR}`, `${VAR:-default}` and the `$${` escape.

use gate::config::interpolate::{InterpolateError, check_syntax, interpolate, is_name};

/// The environment of the checks: some variables unset, some empty, some
/// set, by the length of their name.
fn lookup(name: &str) -> Option<String> {
    match name.len() % 3 {
        0 => None,
        1 => Some(String::new()),
        _ => Some(format!("<{name}>")),
    }
}

/// `template` with every `${` written as the `$${` escape.
fn escaped(template: &str) -> String {
    template.replace("${", "$${")
}

/// Interpolates `template` and checks what holds for any text.
pub fn check(template: &str) {
    let result = interpolate(template, lookup);
    match (&result, check_syntax(template)) {
        (Err(InterpolateError::Syntax { message }), Ok(())) => {
            panic!("{template:?} passed the syntax check, then failed it: {message}")
        }
        (Err(InterpolateError::Missing { var }), _) => {
            assert!(is_name(var), "{template:?}: `{var}` is not a variable name")
        }
        _ => {}
    }
    if !template.contains('$') {
        assert_eq!(result.as_deref(), Ok(template), "text without `$` changed");
    }
    assert_eq!(
        interpolate(&escaped(template), lookup).as_deref(),
        Ok(template),
        "the escaped text does not come back as written"
    );
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::check;
    use crate::{pieces, run};

    /// What templates are made of.
    const TOKENS: &[&str] = &[
        "$",
        "$$",
        "${",
        "$${",
        "}",
        ":-",
        "{",
        "A",
        "AB",
        "ABC",
        "_X",
        "1",
        "-",
        ":",
        "é",
        "${A}",
        "${AB:-d}",
        "${ABC:-}",
        "${ABC:-${AB}}",
        "${A:-${ABC:-x}}",
        "http://h:",
    ];

    #[test]
    fn made_of_templates_pieces() {
        run(2000, pieces(TOKENS, 16), |template| check(&template));
    }

    #[test]
    fn any_text() {
        run(500, any::<String>(), |template| check(&template));
    }
}
