//! [`IntoFallbackModels`]: what [`LiteLLMGateway::fallback_models`](crate::LiteLLMGateway::fallback_models) accepts.

/// A list of fallback model names: a non-empty array literal (`["gpt-4o",
/// "claude-3-sonnet"]`, up to 32 names), a `Vec`, a slice or a reference to
/// an array.
///
/// An empty array literal does not compile: `[]` has no implementation of
/// this trait, so `.fallback_models([])` fails the build. Lists known only at
/// run time (a `Vec` read from a file) are checked when the app starts, by
/// the same rules (`fastagentic_rules::litellm::check_fallback_models`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of fallback models",
    label = "expected a non-empty array of model names, a Vec, or a slice",
    note = "an empty array literal is rejected at compile time: list at least one model name, e.g. `[\"gpt-4o-mini\"]`, or don't call `fallback_models` to have no fallbacks",
    note = "a list known only at run time can be passed as a `Vec<String>`; it is checked when the app starts"
)]
pub trait IntoFallbackModels {
    /// The model names, in order.
    fn into_fallback_models(self) -> Vec<String>;
}

macro_rules! non_empty_arrays {
    ($($len:literal)*) => {$(
        impl<S: Into<String>> IntoFallbackModels for [S; $len] {
            fn into_fallback_models(self) -> Vec<String> {
                self.into_iter().map(Into::into).collect()
            }
        }
    )*};
}

non_empty_arrays!(
    1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
    17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32
);

impl<S: Into<String>> IntoFallbackModels for Vec<S> {
    fn into_fallback_models(self) -> Vec<String> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<S: AsRef<str>> IntoFallbackModels for &[S] {
    fn into_fallback_models(self) -> Vec<String> {
        self.iter().map(|model| model.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> IntoFallbackModels for &Vec<S> {
    fn into_fallback_models(self) -> Vec<String> {
        self.as_slice().into_fallback_models()
    }
}

impl<S: AsRef<str>, const N: usize> IntoFallbackModels for &[S; N] {
    fn into_fallback_models(self) -> Vec<String> {
        self.as_slice().into_fallback_models()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_keeps_the_order() {
        let expected = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(["a", "b"].into_fallback_models(), expected);
        assert_eq!(vec!["a", "b"].into_fallback_models(), expected);
        assert_eq!(
            vec!["a".to_owned(), "b".to_owned()].into_fallback_models(),
            expected
        );
        assert_eq!((&["a", "b"][..]).into_fallback_models(), expected);
        assert_eq!((&["a", "b"]).into_fallback_models(), expected);
        assert_eq!((&expected).into_fallback_models(), expected);
    }
}
