//! Support for the macros' expansions. Not public API: names here may
//! change in any release.
//!
//! `#[child]` makes its function return [`Child`], which marks it and names
//! its options type; `supervisor!` builds each entry with [`spec`] or
//! [`template`], calling the function itself so that rustc reports a wrong
//! argument on the user's own tokens.

use std::future::Future;

pub use std::time::Duration;

pub use crate::{
    AutoShutdown, Backoff, ChildReturn, ChildSpec, ChildTemplate, Ctx, Intensity, Restart, Shutdown, SpecError,
    Strategy, SupervisorSpec,
};

/// What a `#[child]` function returns: the child's body, waiting for its
/// `Ctx`, marked with the options from its attribute. It is not a future,
/// so it cannot be handed to [`ChildSpec::worker`], which would lose its
/// options; [`DeclaredChild::start`](crate::DeclaredChild::start) gives
/// the future, to await it directly.
#[must_use = "a child does nothing unless started or supervised"]
pub struct Child<B, O> {
    body: B,
    _options: std::marker::PhantomData<fn() -> O>,
}

impl<B, O> Child<B, O> {
    /// Wraps a child's body.
    pub fn new(body: B) -> Self {
        Child { body, _options: std::marker::PhantomData }
    }

    pub(crate) fn into_body(self) -> B {
        self.body
    }
}

/// A child's body: given its `Ctx`, the future it runs. The arguments it
/// was called with are moved into that future; the body is made once per
/// start, so nothing is cloned twice.
pub trait ChildBody: Send + 'static {
    /// The child's future.
    type Future: Future + Send + 'static;
    /// Makes the future, handing it its `Ctx`.
    fn start(self, ctx: Ctx) -> Self::Future;
}

impl<F, Fut> ChildBody for F
where
    F: FnOnce(Ctx) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
{
    type Future = Fut;

    fn start(self, ctx: Ctx) -> Fut {
        self(ctx)
    }
}

impl<B, O> std::fmt::Debug for Child<B, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Child")
    }
}

/// The options a `#[child]` attribute declares, applied to a spec.
pub trait ChildOptions: 'static {
    /// How a dynamic child's arguments reach it: [`Cloned`] for every
    /// start, or [`Moved`] into its one start (a temporary child).
    type Args;
    /// Sets the declared options on a spec.
    fn apply(spec: ChildSpec) -> ChildSpec;
}

/// Arguments cloned for every start: a child that may restart.
pub struct Cloned;

/// Arguments moved into a child's one start: a temporary child.
pub struct Moved;

/// The arguments of a dynamic child, under its policy `P`.
#[diagnostic::on_unimplemented(
    message = "a dynamic child that may restart gets its arguments cloned for every start, so `{Self}` must be `Clone + Send + Sync + 'static`",
    label = "these arguments cannot be cloned for a restart",
    note = "make the child `restart = temporary` (never restarted: its arguments are moved in and need only be `Send`), or wrap the values in an `Arc`"
)]
pub trait TemplateArg<P>: Sized + Send + 'static {
    /// The template of children that run `child(args)`.
    fn template<F, R>(child: F) -> ChildTemplate<Self>
    where
        F: Fn(Self) -> R + Send + Sync + 'static,
        R: ChildOutput;
}

impl<T: ChildArg> TemplateArg<Cloned> for T {
    fn template<F, R>(child: F) -> ChildTemplate<Self>
    where
        F: Fn(Self) -> R + Send + Sync + 'static,
        R: ChildOutput,
    {
        ChildTemplate::new(move |ctx: Ctx, args: T| child(args).start(ctx))
            .map_prototype(<R::Options as ChildOptions>::apply)
    }
}

impl<T: Send + 'static> TemplateArg<Moved> for T {
    fn template<F, R>(child: F) -> ChildTemplate<Self>
    where
        F: Fn(Self) -> R + Send + Sync + 'static,
        R: ChildOutput,
    {
        ChildTemplate::temporary(move |ctx: Ctx, args: T| child(args).start(ctx))
            .map_prototype(<R::Options as ChildOptions>::apply)
    }
}

/// The argument policy of the `#[child]` function whose calls are `R`.
pub type ArgsOf<R> = <<R as ChildOutput>::Options as ChildOptions>::Args;

pub use crate::child_spec::DeclaredChild as ChildOutput;

/// The spec of a `supervisor!` entry whose factory calls a `#[child]`
/// function.
pub fn spec<F, R>(id: &'static str, factory: F) -> ChildSpec
where
    F: Fn() -> R + Send + Sync + 'static,
    R: ChildOutput,
{
    ChildSpec::from_child(id, factory)
}

/// A function a `supervisor!` entry may call: one marked with `#[child]`.
/// The entry calls what [`child_fn`] returns, so rustc checks the
/// arguments against the function's own parameters; a function that is not
/// a child is reported once, here, and the call is not checked.
#[diagnostic::on_unimplemented(
    message = "this is not a `#[child]` function",
    label = "add `#[child]` to this function's definition",
    note = "a `supervisor!` entry calls an `async fn` marked with `#[child]`; its first parameter is the child's `Ctx`"
)]
pub trait ChildFnItem<Marker> {
    /// The function itself, once known to be a child.
    type Callable;
    /// Gives the function back.
    fn callable(self) -> Self::Callable;
}

macro_rules! child_fn_item {
    ($($arg:ident),*) => {
        impl<F, R, $($arg),*> ChildFnItem<fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R,
            R: ChildOutput,
        {
            type Callable = F;

            fn callable(self) -> F {
                self
            }
        }
    };
}

/// The `#[child]` function a tree entry calls.
pub fn child_fn<F: ChildFnItem<M>, M>(function: F) -> F::Callable {
    function.callable()
}

/// An argument of a child, cloned for every restart.
#[diagnostic::on_unimplemented(
    message = "child arguments are cloned for every restart, so `{Self}` must be `Clone + Send + Sync + 'static`",
    label = "this argument is not `Clone + Send + Sync + 'static`",
    note = "derive or implement `Clone`, or wrap the value in an `Arc`"
)]
pub trait ChildArg: Clone + Send + Sync + 'static {}

impl<T: Clone + Send + Sync + 'static> ChildArg for T {}

/// Checks an argument once, where the tree is built.
pub fn arg<T: ChildArg>(value: T) -> T {
    value
}

/// A fresh copy of an argument for one start.
pub fn clone_arg<T: ChildArg>(value: &T) -> T {
    value.clone()
}

/// Checks a `#[child]` function's return type where it is written.
pub fn assert_child_return<R: ChildReturn>() {}

/// A function that can be the template of a dynamic supervisor: its
/// arguments become one value of type `A` (`()` for none,
/// the argument itself for one, a tuple for more).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the child of a dynamic supervisor",
    label = "expected an `async fn` marked with `#[child]`",
    note = "the `child:` of a `dynamic` entry is a `#[child]` function; `start_child` passes its arguments"
)]
pub trait TemplateFn<A, Marker>: Send + Sync + 'static {
    /// What a call returns.
    type Output: ChildOutput;
    /// Calls it with its arguments as one value.
    fn call(&self, args: A) -> Self::Output;
}

macro_rules! template_fn {
    ($($arg:ident),*) => {
        impl<F, R, $($arg),*> TemplateFn<template_args!($($arg),*), fn($($arg),*) -> R> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: ChildOutput,
        {
            type Output = R;

            #[allow(non_snake_case)]
            fn call(&self, template_args!($($arg),*): template_args!($($arg),*)) -> R {
                self($($arg),*)
            }
        }
    };
}

macro_rules! template_args {
    () => { () };
    ($one:ident) => { $one };
    ($($arg:ident),+) => { ($($arg),+) };
}

/// Both traits, for every arity a `#[child]` may have (8 after its `Ctx`,
/// as `child/valid.rs` says).
macro_rules! arities {
    ($($args:tt)*) => { $( child_fn_item! $args; template_fn! $args; )* };
}

arities!(()(A1)(A1, A2)(A1, A2, A3)(A1, A2, A3, A4)(A1, A2, A3, A4, A5)(A1, A2, A3, A4, A5, A6)(
    A1, A2, A3, A4, A5, A6, A7
)(A1, A2, A3, A4, A5, A6, A7, A8));

/// The template of a `dynamic` entry. Its arguments are checked here, by
/// the function's policy, so a wrong one is reported as such.
pub fn template<F, A, M>(child: F) -> ChildTemplate<A>
where
    F: TemplateFn<A, M>,
    A: TemplateArg<ArgsOf<F::Output>>,
{
    A::template(move |args: A| child.call(args))
}

/// What a `spec { ... }` entry may hold.
#[diagnostic::on_unimplemented(
    message = "a `spec {{ ... }}` entry holds a `ChildSpec` or a `SupervisorSpec`, not `{Self}`",
    label = "expected a spec made at run time",
    note = "build it with `ChildSpec::worker`, `ChildSpec::from_child` or `SupervisorSpec::builder(..).build()?`"
)]
pub trait IntoChildSpec {
    /// The child spec.
    fn into_child_spec(self) -> ChildSpec;
}

impl IntoChildSpec for ChildSpec {
    fn into_child_spec(self) -> ChildSpec {
        self
    }
}

impl IntoChildSpec for SupervisorSpec {
    fn into_child_spec(self) -> ChildSpec {
        ChildSpec::supervisor(self)
    }
}

/// A `spec { ... }` entry: the spec, named by its key.
pub fn prebuilt(id: &'static str, spec: impl IntoChildSpec) -> ChildSpec {
    spec.into_child_spec().with_id(id)
}

/// What a `group { ... }` entry may hold.
#[diagnostic::on_unimplemented(
    message = "a `group {{ ... }}` entry holds an iterator of `ChildSpec`s, not `{Self}`",
    label = "expected children made at run time",
    note = "for example `(0..n).map(|i| ChildSpec::from_child(format!(\"worker{{i}}\"), move || worker(i)))`"
)]
pub trait IntoChildSpecs {
    /// The children, in order.
    fn into_child_specs(self) -> Vec<ChildSpec>;
}

impl<I: IntoIterator<Item = ChildSpec>> IntoChildSpecs for I {
    fn into_child_specs(self) -> Vec<ChildSpec> {
        self.into_iter().collect()
    }
}

/// A `group { ... }` entry's children.
pub fn group(children: impl IntoChildSpecs) -> Vec<ChildSpec> {
    children.into_child_specs()
}

/// What an invalid `supervisor!` yields next to its compile errors, so the
/// code around it still type-checks. Never runs: the program does not build.
pub fn invalid_tree() -> Result<SupervisorSpec, SpecError> {
    Err(SpecError::InvalidId { id: "<invalid supervisor! tree>".into() })
}
