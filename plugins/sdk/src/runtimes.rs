//! The tokio runtimes themselves, apart from the bridge that waits on them
//! ([`crate::runtime`]) and the fibers that run on them ([`crate::fibers`]), which both use
//! this module: the shared multi-thread runtime, and each thread's own current-thread one.

use crate::error::{CommonError, CommonKind};
use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The shared multi-thread runtime (started on first use).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("netscript-io")
            .build()
            .expect("cannot start the tokio runtime")
    })
}

thread_local! {
    /// This thread's own current-thread runtime (started on first use; `None` when it cannot
    /// start, e.g. out of descriptors).
    static LOCAL: std::cell::OnceCell<Option<tokio::runtime::Runtime>> = const { std::cell::OnceCell::new() };
}

/// Calls `f` with this thread's own runtime, or with the shared one when this thread cannot
/// have its own (no descriptor left for its epoll).
pub(crate) fn with_local_or_shared<R>(f: impl FnOnce(&tokio::runtime::Runtime) -> R) -> R {
    LOCAL.with(|cell| match local_runtime(cell) {
        Some(rt) => f(rt),
        None => f(runtime()),
    })
}

fn local_runtime(cell: &std::cell::OnceCell<Option<tokio::runtime::Runtime>>) -> Option<&tokio::runtime::Runtime> {
    cell.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().ok()).as_ref()
}

/// Calls `f` with this thread's own runtime. Errors: `IoError` when it cannot be started.
pub(crate) fn with_local_runtime<R>(f: impl FnOnce(&tokio::runtime::Runtime) -> R) -> Result<R, CommonError> {
    LOCAL.with(|cell| match local_runtime(cell) {
        Some(rt) => Ok(f(rt)),
        None => Err(CommonError::new(CommonKind::IoError, "core", "cannot start a runtime for this thread")),
    })
}
