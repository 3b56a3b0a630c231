//! [`Compile`] and [`CompileOnce`]: a gateway's plain settings, compiled once
//! into what its requests need.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::GatewayError;

/// Plain gateway settings that compile into what requests need: validated
/// values, the transport with its static headers, static body fields.
pub trait Compile: Send + Sync + 'static {
    /// The compiled form.
    type Compiled: Send + Sync + 'static;

    /// Checks every setting and builds the compiled form; `Err` lists every
    /// problem (see [`ConfigProblems`](crate::gateway::ConfigProblems)).
    fn compile(&self) -> Result<Self::Compiled, GatewayError>;
}

/// Settings and their compiled form, built once at
/// [`check`](crate::LlmGateway::check) or the first call, and forgotten when
/// [`edit`](Self::edit) changes the settings: a builder edits, never compiles.
///
/// `Debug` shows the settings; clones share what was compiled.
pub struct CompileOnce<S: Compile> {
    settings: S,
    compiled: OnceLock<Result<Arc<S::Compiled>, GatewayError>>,
}

impl<S: Compile> CompileOnce<S> {
    /// `settings`, not compiled yet.
    pub fn new(settings: S) -> Self {
        Self {
            settings,
            compiled: OnceLock::new(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &S {
        &self.settings
    }

    /// Changes the settings (what a builder method does); the next use compiles again.
    pub fn edit(mut self, change: impl FnOnce(&mut S)) -> Self {
        change(&mut self.settings);
        self.compiled = OnceLock::new();
        self
    }

    /// The compiled form, built on first use; the same error every time when
    /// the settings do not compile.
    pub fn compiled(&self) -> Result<&S::Compiled, GatewayError> {
        match self
            .compiled
            .get_or_init(|| self.settings.compile().map(Arc::new))
        {
            Ok(compiled) => Ok(compiled),
            Err(error) => Err(error.clone()),
        }
    }
}

impl<S: Compile + Clone> Clone for CompileOnce<S> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            compiled: self.compiled.clone(),
        }
    }
}

impl<S: Compile + fmt::Debug> fmt::Debug for CompileOnce<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.settings.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static COMPILED: AtomicUsize = AtomicUsize::new(0);

    #[derive(Clone, Debug)]
    struct Limit(u32);

    impl Compile for Limit {
        type Compiled = u32;
        fn compile(&self) -> Result<u32, GatewayError> {
            COMPILED.fetch_add(1, Ordering::SeqCst);
            match self.0 {
                0 => Err(GatewayError::config("test", "the limit is 0")),
                n => Ok(n * 2),
            }
        }
    }

    #[test]
    fn compiles_once_and_again_after_an_edit() {
        let once = CompileOnce::new(Limit(0));
        assert!(once.compiled().is_err());
        assert!(once.compiled().is_err());
        assert_eq!(COMPILED.load(Ordering::SeqCst), 1);
        let once = once.edit(|limit| limit.0 = 3);
        assert_eq!(once.compiled().ok(), Some(&6));
        let clone = once.clone();
        assert_eq!(clone.compiled().ok(), Some(&6));
        assert_eq!(COMPILED.load(Ordering::SeqCst), 2);
        assert_eq!(format!("{clone:?}"), "Limit(3)");
    }
}
