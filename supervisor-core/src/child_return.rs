//! What a child's future may return.

use std::convert::Infallible;
use std::fmt::Display;
use std::sync::Arc;

/// A value a child's future may return: `()`, `Result<(), E>` with a
/// displayable `E`, or a never-returning type.
///
/// The error's `Display` becomes [`ExitReason::Failed`](crate::ExitReason::Failed).
///
/// ```
/// use supervisor_core::ChildReturn;
///
/// assert_eq!(().into_child_result(), Ok(()));
/// let failed: Result<(), std::io::Error> = Err(std::io::Error::other("disk full"));
/// assert_eq!(failed.into_child_result().unwrap_err().as_ref(), "disk full");
/// ```
#[diagnostic::on_unimplemented(
    message = "a child must return `()`, `Result<(), E>` where `E: Display`, or never return; it returns `{Self}`",
    label = "this child's return type is not supported",
    note = "return `Ok(())` when the child is done, and an error the supervisor can print when it failed"
)]
pub trait ChildReturn: Send + 'static {
    /// `Ok(())` for a normal return; the error's text for a failure.
    fn into_child_result(self) -> Result<(), Arc<str>>;
}

impl ChildReturn for () {
    fn into_child_result(self) -> Result<(), Arc<str>> {
        Ok(())
    }
}

impl<E: Display + Send + 'static> ChildReturn for Result<(), E> {
    fn into_child_result(self) -> Result<(), Arc<str>> {
        self.map_err(|error| Arc::from(error.to_string()))
    }
}

impl ChildReturn for Infallible {
    fn into_child_result(self) -> Result<(), Arc<str>> {
        match self {}
    }
}
