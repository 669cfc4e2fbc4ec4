//! Script calls interleaved on one thread: [`run_interleaved`] runs a body as several
//! stackful coroutines ("fibers", corosensei) on the calling thread. Script code runs on a
//! fiber's own stack as it would on a thread; when it waits in [`crate::runtime::block_on`]
//! or [`crate::runtime::block_on_local`], the fiber suspends and hands the future it waits
//! for to the thread's runtime, which runs the other fibers meanwhile and resumes it when
//! the future is ready.
//!
//! This is how `parallel` keeps 32 requests in flight with one thread per core instead of 32
//! threads: the waits overlap on one event loop (as curl's `-Z` does), and a response does
//! not cost a thread wake-up.
//!
//! A wait that does not go through the SDK's `block_on` (a blocking system call, a dynamic
//! plugin with its own copy of this crate) blocks the thread, and so its sibling fibers,
//! until it ends: slower, never wrong.

use crate::error::{CommonError, CommonKind};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;

/// A fiber's stack: room for deep script recursion, as a worker thread has.
const FIBER_STACK: usize = 8 * 1024 * 1024;

/// The future a suspended fiber waits for (it lives on the fiber's stack while it waits),
/// and whether it belongs to the shared runtime: such a future is polled inside the shared
/// runtime's context, so what it creates (a socket, a timer) is driven by that runtime and
/// works from any thread later, as it would outside a fiber.
struct Waiting {
    future: NonNull<dyn Future<Output = ()>>,
    shared: bool,
}
type Fiber = Coroutine<(), Waiting, ()>;

/// Stacks kept per thread for the next fibers (mapping 8 MiB costs more than a fiber).
const KEPT_STACKS: usize = 64;

thread_local! {
    /// The running fiber's yielder; null outside fibers (set again on every resume).
    static CURRENT: Cell<*const Yielder<(), Waiting>> = const { Cell::new(std::ptr::null()) };
    /// Stacks of ended fibers, for reuse on this thread.
    static STACKS: std::cell::RefCell<Vec<DefaultStack>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn take_stack() -> Result<DefaultStack, CommonError> {
    match STACKS.with(|s| s.borrow_mut().pop()) {
        Some(stack) => Ok(stack),
        None => DefaultStack::new(FIBER_STACK)
            .map_err(|e| CommonError::new(CommonKind::IoError, "core", format!("cannot map a fiber stack: {e}"))),
    }
}

/// Whether the calling code runs on a fiber.
pub fn in_fiber() -> bool {
    !CURRENT.get().is_null()
}

/// Waits for `fut` by suspending the running fiber; `shared`: see [`Waiting`]. Only call
/// when [`in_fiber`].
pub(crate) fn suspend_on<F: Future>(shared: bool, fut: F) -> F::Output {
    let yielder = CURRENT.get();
    assert!(!yielder.is_null(), "suspend_on outside a fiber");
    let mut out = None;
    {
        let mut wrapped = std::pin::pin!(async { out = Some(fut.await) });
        let local: *mut (dyn Future<Output = ()> + '_) = unsafe { wrapped.as_mut().get_unchecked_mut() };
        // SAFETY: the future stays on this (suspended) fiber's stack, pinned, until the
        // driver has polled it to completion and resumed the fiber: the erased lifetime
        // never outlives the borrow.
        let erased: *mut (dyn Future<Output = ()> + 'static) = unsafe { std::mem::transmute(local) };
        // SAFETY: CURRENT points at this fiber's yielder while the fiber runs.
        unsafe { (*yielder).suspend(Waiting { future: NonNull::new_unchecked(erased), shared }) };
        CURRENT.set(yielder);
    }
    out.expect("a fiber is resumed only once its future is ready")
}

/// Runs `count` fibers on the calling thread, each calling `body` once, their waits
/// overlapping on this thread's runtime; returns when all have returned. A panic in `body`
/// ends its fiber only. Errors: `PluginError` when called from a fiber or from inside a
/// runtime (the caller then runs the work another way), `IoError` when no stack or runtime
/// can be had.
pub fn run_interleaved(count: usize, body: Arc<dyn Fn() + Send + Sync>) -> Result<(), CommonError> {
    if in_fiber() || tokio::runtime::Handle::try_current().is_ok() {
        return Err(CommonError::new(CommonKind::PluginError, "core", "run_interleaved inside a fiber or runtime"));
    }
    let mut fibers = Vec::with_capacity(count);
    for _ in 0..count {
        let stack = take_stack()?;
        let body = body.clone();
        fibers.push(Fiber::with_stack(stack, move |yielder, ()| {
            CURRENT.set(yielder);
            let _ = catch_unwind(AssertUnwindSafe(|| body()));
        }));
    }
    crate::runtime::with_local_runtime(|rt| {
        let set = tokio::task::LocalSet::new();
        rt.block_on(set.run_until(async move {
            let drivers: Vec<_> = fibers.into_iter().map(|f| tokio::task::spawn_local(drive(f))).collect();
            for d in drivers {
                if let Ok(stack) = d.await {
                    STACKS.with(|s| {
                        let mut kept = s.borrow_mut();
                        if kept.len() < KEPT_STACKS {
                            kept.push(stack);
                        }
                    });
                }
            }
        }));
    })
}

/// Resumes `fiber` until it returns, waiting (asynchronously) for each future it suspends
/// on; gives back its stack.
async fn drive(mut fiber: Fiber) -> DefaultStack {
    loop {
        let step = fiber.resume(());
        CURRENT.set(std::ptr::null());
        match step {
            CoroutineResult::Yield(waiting) => {
                // SAFETY: see `suspend_on` — the future is alive and pinned until it is ready.
                std::future::poll_fn(|cx| {
                    let _context = waiting.shared.then(|| crate::runtime::runtime().enter());
                    unsafe { Pin::new_unchecked(&mut *waiting.future.as_ptr()) }.poll(cx)
                })
                .await
            }
            CoroutineResult::Return(()) => return fiber.into_stack(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn waits_overlap_on_one_thread() {
        let done = Arc::new(AtomicUsize::new(0));
        let counter = done.clone();
        let thread = std::thread::current().id();
        let started = Instant::now();
        run_interleaved(
            20,
            Arc::new(move || {
                // (A failed assert here would only end the fiber: count the good ones.)
                let on_this_thread = in_fiber() && std::thread::current().id() == thread;
                let shared = crate::runtime::block_on("test", tokio::time::sleep(Duration::from_millis(200)));
                let local = crate::runtime::block_on_local("test", tokio::time::sleep(Duration::from_millis(100)));
                if on_this_thread && shared.is_ok() && local.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 20);
        // Twenty fibers' 0.3 s of waiting overlap.
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert!(!in_fiber());
    }

    #[test]
    fn a_socket_made_on_a_fiber_works_after_the_fibers_end() {
        // Made through `block_on`, the listener belongs to the shared runtime, not to this
        // thread's: accepting on it later from plain code neither hangs nor fails.
        let made = Arc::new(std::sync::Mutex::new(None));
        let slot = made.clone();
        run_interleaved(
            1,
            Arc::new(move || {
                let bound = crate::runtime::block_on("test", tokio::net::TcpListener::bind("127.0.0.1:0"));
                *slot.lock().unwrap() = bound.ok().and_then(Result::ok);
            }),
        )
        .unwrap();
        let listener = made.lock().unwrap().take().expect("bound on the fiber");
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || std::net::TcpStream::connect(addr).unwrap());
        let accepted = std::thread::spawn(move || {
            crate::runtime::block_on_timeout("test", "accept", 5.0, listener.accept()).map(|r| r.is_ok())
        });
        client.join().unwrap();
        assert!(accepted.join().unwrap().unwrap());
    }

    #[test]
    fn a_panicking_fiber_ends_alone_and_nesting_is_refused() {
        let done = Arc::new(AtomicUsize::new(0));
        let counter = done.clone();
        run_interleaved(
            3,
            Arc::new(move || {
                if run_interleaved(1, Arc::new(|| {})).is_err() {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    if n == 0 {
                        panic!("one fiber panics");
                    }
                }
            }),
        )
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 3);
    }
}
