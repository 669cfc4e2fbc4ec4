//! Script calls interleaved on one thread, as stackful coroutines ("fibers", corosensei).
//! Script code runs on a fiber's own stack as it would on a thread; when it waits in
//! [`crate::runtime::block_on`] or [`crate::runtime::block_on_local`], the fiber suspends and
//! hands the future it waits for to the thread's runtime, which runs the other fibers
//! meanwhile and resumes it when the future is ready. A fiber that computes for long is
//! paused by [`maybe_yield`] (the host calls it from the engine's progress hook).
//!
//! - [`run_interleaved`]: `parallel`'s share of closures on one worker thread. This is how
//!   `parallel` keeps 32 requests in flight with one thread per core instead of 32 threads:
//!   the waits overlap on one event loop (as curl's `-Z` does), and a response does not cost
//!   a thread wake-up.
//! - [`run_with_fibers`] + [`spawn`]: an event loop (an HTTP server thread) that starts a
//!   fiber per request and awaits its value.
//!
//! A wait that does not go through the SDK's `block_on` (a blocking system call, a dynamic
//! plugin with its own copy of this crate) blocks the thread, and so its sibling fibers,
//! until it ends: slower, never wrong.
//!
//! Safety of script code: a panic in a future a fiber waits for (polled on the driver's
//! stack) is caught there and becomes that fiber's `PluginError`; a fiber is never
//! force-unwound through script code (one still suspended when its driver goes away is
//! leaked, not unwound); the "inside a guarded call" flag is kept per fiber; and a fiber can
//! be cancelled ([`Cancel`]): its script stops at the next progress tick or wait.

use crate::error::{CommonError, CommonKind};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::sync::oneshot::{self, Receiver};

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
    /// The running fiber's cancellation flag (set on every resume, cleared on suspension).
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// The panic of the future the resumed fiber waited for, caught by its driver.
    static FUTURE_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Stacks of ended fibers, for reuse on this thread.
    static STACKS: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
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

/// Whether the running fiber has been cancelled (false outside fibers): the host stops its
/// script at the next progress tick, and its waits end with `Timeout`.
pub fn cancelled() -> bool {
    CANCEL.with(|c| c.borrow().as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed)))
}

/// The running fiber's cancellation flag, for a wait to watch while the fiber is suspended.
pub(crate) fn cancel_flag() -> Option<Arc<AtomicBool>> {
    CANCEL.with(|c| c.borrow().clone())
}

/// Suspends the running fiber on a future from a dynamic plugin (which runs on that
/// plugin's own runtime: it is polled here outside this runtime's context). The host's
/// side of [`crate::host::Host::suspend_on`]. Errors: `PluginError` off a fiber or when
/// polling panicked.
pub fn suspend_foreign(fut: Pin<&mut (dyn Future<Output = ()> + '_)>) -> Result<(), CommonError> {
    if !in_fiber() {
        return Err(CommonError::new(CommonKind::PluginError, "core", "suspend_on outside a fiber"));
    }
    suspend_on(false, fut)
}

/// Cancels a fiber started by [`spawn`] (a server handler past its time limit).
#[derive(Clone, Debug)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Asks the fiber to stop: its script ends at the next progress tick or wait.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Waits for `fut` by suspending the running fiber; `shared`: see [`Waiting`]. Only call
/// when [`in_fiber`]. Errors: `PluginError` when polling `fut` panicked.
pub(crate) fn suspend_on<F: Future>(shared: bool, fut: F) -> Result<F::Output, CommonError> {
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
    // Resumed with no value: the driver caught a panic while polling the future.
    out.ok_or_else(|| {
        let why = FUTURE_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "unknown panic".into());
        CommonError::new(CommonKind::PluginError, "core", format!("a wait panicked: {why}"))
    })
}

/// A fiber's driver, boxed for the runner of its thread.
type Driver = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    /// Where [`spawn`] sends new fibers, on a thread inside [`run_with_fibers`].
    static RUNNER: RefCell<Option<UnboundedSender<Driver>>> = const { RefCell::new(None) };
    /// When the running fiber was last resumed (for [`maybe_yield`]).
    static RESUMED_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `root` on this thread's own runtime and drives the fibers that code on this runtime
/// starts with [`spawn`]. Returns `root`'s value once `root` and every fiber have ended (a
/// fiber is never dropped half-way). Errors: `PluginError` from a fiber or from inside a
/// runtime; `IoError` when the thread's runtime cannot start.
pub fn run_with_fibers<F: Future>(root: F) -> Result<F::Output, CommonError> {
    if in_fiber() || tokio::runtime::Handle::try_current().is_ok() {
        return Err(CommonError::new(CommonKind::PluginError, "core", "fibers inside a fiber or a runtime"));
    }
    crate::runtimes::with_local_runtime(|rt| {
        rt.block_on(async {
            let (tx, mut rx) = unbounded_channel::<Driver>();
            let previous = RUNNER.with(|r| r.borrow_mut().replace(tx));
            let mut running = FuturesUnordered::new();
            let mut root = std::pin::pin!(root);
            let mut out = None;
            loop {
                tokio::select! {
                    value = &mut root, if out.is_none() => out = Some(value),
                    Some(driver) = rx.recv() => running.push(driver),
                    Some(()) = running.next(), if !running.is_empty() => {}
                    else => {}
                }
                if out.is_some() && running.is_empty() && rx.is_empty() {
                    break;
                }
            }
            RUNNER.with(|r| *r.borrow_mut() = previous);
            out.expect("the loop ends after the root")
        })
    })
}

/// What [`spawn`] gives back: the fiber's value (or its panic) and its cancellation.
pub type Spawned<R> = (Receiver<std::thread::Result<R>>, Cancel);

/// Starts `body` on a new fiber of this thread; the receiver gets its value (or its panic).
/// Call from code running under [`run_with_fibers`] on this thread. Errors: `PluginError`
/// elsewhere, `IoError` when no stack can be mapped.
pub fn spawn<R: 'static>(body: impl FnOnce() -> R + 'static) -> Result<Spawned<R>, CommonError> {
    let runner = runner()?;
    let (fiber, rx) = new_fiber(body)?;
    let cancel = Arc::new(AtomicBool::new(false));
    runner
        .send(Box::pin(drive(Owned(Some(fiber)), cancel.clone(), false, None)))
        .map_err(|_| CommonError::new(CommonKind::PluginError, "core", "the fiber runner has ended"))?;
    Ok((rx, Cancel(cancel)))
}

/// What [`start`] gives back.
pub enum Started<R> {
    /// `body` returned (or panicked) without waiting: its value, with no hand-off at all.
    Done(std::thread::Result<R>),
    /// `body` is waiting: it goes on under the thread's runner, as after [`spawn`].
    Waiting(Spawned<R>),
}

/// Runs `body` on a new fiber at once, on the calling stack, until it returns or first
/// waits: a handler that answers without waiting (most do) costs no hand-off to the runner,
/// no channel and no wake-up; one that waits is handed to the runner there. Call from code
/// running under [`run_with_fibers`] on this thread, outside fibers (inside one it is
/// [`spawn`]). Errors as [`spawn`].
pub fn start<R: 'static>(body: impl FnOnce() -> R + 'static) -> Result<Started<R>, CommonError> {
    if in_fiber() {
        return spawn(body).map(Started::Waiting);
    }
    let runner = runner()?;
    let (fiber, mut rx) = new_fiber(body)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let mut owned = Owned(Some(fiber));
    let mut guard_flag = false;
    let Some(fiber) = owned.0.as_mut() else { unreachable!("the fiber was just made") };
    match step(fiber, &cancel, &mut guard_flag) {
        CoroutineResult::Return(()) => {
            keep_stack(owned);
            let value = rx.try_recv().unwrap_or_else(|_| Err(Box::new("the fiber ended without a value")));
            Ok(Started::Done(value))
        }
        CoroutineResult::Yield(waiting) => {
            // Sending fails only when the runner has ended, which cannot happen while code
            // under it runs; the fiber is then leaked (see `Owned`), never unwound.
            runner
                .send(Box::pin(drive(owned, cancel.clone(), guard_flag, Some(waiting))))
                .map_err(|_| CommonError::new(CommonKind::PluginError, "core", "the fiber runner has ended"))?;
            Ok(Started::Waiting((rx, Cancel(cancel))))
        }
    }
}

/// This thread's fiber runner. Errors: `PluginError` outside [`run_with_fibers`].
fn runner() -> Result<UnboundedSender<Driver>, CommonError> {
    RUNNER
        .with(|r| r.borrow().clone())
        .ok_or_else(|| CommonError::new(CommonKind::PluginError, "core", "no fiber runner on this thread"))
}

/// A fiber that runs `body` and sends its value (or its panic) to the receiver.
fn new_fiber<R: 'static>(
    body: impl FnOnce() -> R + 'static,
) -> Result<(Fiber, Receiver<std::thread::Result<R>>), CommonError> {
    let (tx, rx) = oneshot::channel();
    let fiber = Fiber::with_stack(take_stack()?, move |yielder, ()| {
        CURRENT.set(yielder);
        let _ = tx.send(catch_unwind(AssertUnwindSafe(body)));
    });
    Ok((fiber, rx))
}

/// How long a fiber may run before [`maybe_yield`] lets its siblings in.
const SLICE: Duration = Duration::from_millis(10);

/// Lets the other fibers of this thread run when the running one has had the thread for a
/// while (a script loop with no network wait would otherwise hold it). Cheap enough to call
/// every few thousand script operations; does nothing outside fibers.
pub fn maybe_yield() {
    if in_fiber() && RESUMED_AT.get().is_some_and(|at| at.elapsed() >= SLICE) {
        let _ = suspend_on(false, tokio::task::yield_now());
    }
}

/// Runs `count` fibers on the calling thread, each calling `body` once, their waits
/// overlapping on this thread's runtime; returns when all have returned. A panic in `body`
/// ends its fiber only. Errors as [`run_with_fibers`].
pub fn run_interleaved(count: usize, body: Arc<dyn Fn() + Send + Sync>) -> Result<(), CommonError> {
    run_with_fibers(async move {
        let mut ends = Vec::with_capacity(count);
        for _ in 0..count {
            let body = body.clone();
            ends.push(spawn(move || body())?.0);
        }
        for end in ends {
            let _ = end.await;
        }
        Ok(())
    })?
}

/// A fiber owned by its driver. Dropping one that has not finished would make corosensei
/// force-unwind its stack — through script code and every `catch_unwind` on it, which would
/// swallow the unwind and go on running script code inside `Drop`. Such a fiber (its driver
/// dropped early) is leaked instead: its stack stays mapped, nothing of it runs again.
struct Owned(Option<Fiber>);

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(fiber) = self.0.take() {
            if !fiber.done() {
                std::mem::forget(fiber);
            }
        }
    }
}

/// Resumes `fiber` once, with its own guarded-call flag and cancellation flag in place,
/// until it returns or suspends.
fn step(fiber: &mut Fiber, cancel: &Arc<AtomicBool>, guard_flag: &mut bool) -> CoroutineResult<Waiting, ()> {
    RESUMED_AT.set(Some(Instant::now()));
    let outer_flag = crate::error::swap_guarded(*guard_flag);
    let outer_cancel = CANCEL.with(|c| c.borrow_mut().replace(cancel.clone()));
    let step = fiber.resume(());
    CANCEL.with(|c| *c.borrow_mut() = outer_cancel);
    *guard_flag = crate::error::swap_guarded(outer_flag);
    CURRENT.set(std::ptr::null());
    step
}

/// Keeps an ended fiber's stack for the next fiber of this thread.
fn keep_stack(mut owned: Owned) {
    let Some(fiber) = owned.0.take() else { return };
    let stack = fiber.into_stack();
    STACKS.with(|s| {
        let mut kept = s.borrow_mut();
        if kept.len() < KEPT_STACKS {
            kept.push(stack);
        }
    });
}

/// Resumes a fiber until it returns, waiting (asynchronously) for each future it suspends
/// on (`first`: the one it already suspended on); then keeps its stack.
async fn drive(mut owned: Owned, cancel: Arc<AtomicBool>, mut guard_flag: bool, mut first: Option<Waiting>) {
    loop {
        let waiting = match first.take() {
            Some(waiting) => waiting,
            None => {
                let Some(fiber) = owned.0.as_mut() else { return };
                match step(fiber, &cancel, &mut guard_flag) {
                    CoroutineResult::Yield(waiting) => waiting,
                    CoroutineResult::Return(()) => break,
                }
            }
        };
        // SAFETY: see `suspend_on` — the future is alive and pinned until it is ready, and
        // after a panic it is never polled again (the fiber resumes at once).
        let polled = std::future::poll_fn(|cx| {
            let _context = waiting.shared.then(|| crate::runtimes::runtime().enter());
            match catch_unwind(AssertUnwindSafe(|| {
                unsafe { Pin::new_unchecked(&mut *waiting.future.as_ptr()) }.poll(cx)
            })) {
                Ok(poll) => poll.map(|()| None),
                Err(panic) => std::task::Poll::Ready(Some(crate::error::panic_message(&*panic))),
            }
        })
        .await;
        if let Some(why) = polled {
            FUTURE_PANIC.with(|p| *p.borrow_mut() = Some(why));
        }
    }
    keep_stack(owned);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
            crate::runtime::block_on_timeout("test", "accept", Duration::from_secs(5), listener.accept())
                .map(|r| r.is_ok())
        });
        client.join().unwrap();
        assert!(accepted.join().unwrap().unwrap());
    }

    #[test]
    fn blocking_calls_on_fibers_overlap() {
        // Ten 0.2 s blocking calls from ten fibers of one thread take ~0.2 s, not 2 s.
        let done = Arc::new(AtomicUsize::new(0));
        let counter = done.clone();
        let started = Instant::now();
        run_interleaved(
            10,
            Arc::new(move || {
                let slept = crate::runtime::run_blocking("test", || std::thread::sleep(Duration::from_millis(200)));
                if slept.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 10);
        assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_busy_fiber_lets_its_siblings_in() {
        // Fiber 0 spins until fiber 1 has run; without `maybe_yield` it would spin forever
        // (here: give up after 3 s and count nothing).
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let good = Arc::new(AtomicUsize::new(0));
        let which = Arc::new(AtomicUsize::new(0));
        let (f, g, w) = (flag.clone(), good.clone(), which.clone());
        run_interleaved(
            2,
            Arc::new(move || {
                if w.fetch_add(1, Ordering::SeqCst) == 0 {
                    let started = Instant::now();
                    while !f.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(3) {
                        maybe_yield();
                    }
                    if f.load(Ordering::SeqCst) {
                        g.fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    f.store(true, Ordering::SeqCst);
                }
            }),
        )
        .unwrap();
        assert_eq!(good.load(Ordering::SeqCst), 1);
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

    #[test]
    fn a_panic_in_a_waited_future_is_a_plugin_error_of_that_fiber() {
        // The future panics while the driver polls it (on the driver's stack): the fiber
        // gets a PluginError, its siblings and the runner go on.
        let good = Arc::new(AtomicUsize::new(0));
        let (g, which) = (good.clone(), Arc::new(AtomicUsize::new(0)));
        run_interleaved(
            3,
            Arc::new(move || {
                if which.fetch_add(1, Ordering::SeqCst) == 0 {
                    let out = crate::runtime::block_on("test", async {
                        tokio::task::yield_now().await;
                        panic!("future panics on purpose")
                    });
                    if out.is_err_and(|e| e.kind == CommonKind::PluginError && e.message.contains("on purpose")) {
                        g.fetch_add(1, Ordering::SeqCst);
                    }
                } else if crate::runtime::block_on("test", tokio::time::sleep(Duration::from_millis(20))).is_ok() {
                    g.fetch_add(1, Ordering::SeqCst);
                }
            }),
        )
        .unwrap();
        assert_eq!(good.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_guarded_call_flag_is_kept_per_fiber() {
        // Two fibers in guarded calls that end in the other order than they began used to
        // leave the thread's flag stuck at true.
        run_interleaved(
            2,
            Arc::new({
                let which = Arc::new(AtomicUsize::new(0));
                move || {
                    let nap = if which.fetch_add(1, Ordering::SeqCst) == 0 { 20 } else { 60 };
                    crate::error::guarded(|| {
                        let _ = crate::runtime::block_on("test", tokio::time::sleep(Duration::from_millis(nap)));
                    });
                }
            }),
        )
        .unwrap();
        assert!(!crate::error::swap_guarded(false), "the flag is stuck after the fibers ended");
    }

    #[test]
    fn a_fiber_whose_driver_is_dropped_is_not_unwound_through_its_code() {
        // A value on the fiber's stack whose Drop would run if corosensei force-unwound it.
        struct Marker(Arc<AtomicUsize>);
        impl Drop for Marker {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        let fiber = Fiber::with_stack(take_stack().unwrap(), move |yielder, ()| {
            CURRENT.set(yielder);
            let _marker = Marker(d);
            let _ = crate::runtime::block_on("test", std::future::pending::<()>());
        });
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut driver = Box::pin(drive(Owned(Some(fiber)), Arc::new(AtomicBool::new(false)), false, None));
            std::future::poll_fn(|cx| {
                let _ = driver.as_mut().poll(cx);
                std::task::Poll::Ready(())
            })
            .await;
        });
        assert_eq!(dropped.load(Ordering::SeqCst), 0, "script-side Drop ran: the fiber was unwound");
    }

    #[test]
    fn a_cancelled_fiber_stops_waiting() {
        let outcome = run_with_fibers(async {
            let (end, cancel) =
                spawn(|| crate::runtime::block_on("test", tokio::time::sleep(Duration::from_secs(30)))).unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            cancel.cancel();
            end.await
        })
        .unwrap();
        let err = outcome.unwrap().unwrap().unwrap_err();
        assert!(err.message.contains("cancelled"), "{}", err.message);
    }

    #[test]
    fn a_started_fiber_answers_inline_or_hands_its_wait_to_the_runner() {
        let outcome = run_with_fibers(async {
            // No wait: the value is there when `start` returns, on this thread's stack.
            let quick = match start(|| 6 * 7).unwrap() {
                Started::Done(value) => value.unwrap(),
                Started::Waiting(_) => panic!("a body without waits was handed off"),
            };
            // A panic without a wait is that body's own.
            let panicked = matches!(start(|| panic!("boom")).unwrap(), Started::Done(Err(_)));
            // A wait: the fiber goes on under the runner and its value arrives later.
            let (end, _cancel) = match start(|| {
                crate::runtime::block_on("test", tokio::time::sleep(Duration::from_millis(20))).map(|()| 7)
            })
            .unwrap()
            {
                Started::Waiting(spawned) => spawned,
                Started::Done(_) => panic!("a waiting body ended at once"),
            };
            let waited = end.await.unwrap().unwrap().unwrap();
            (quick, panicked, waited, in_fiber())
        })
        .unwrap();
        assert_eq!(outcome, (42, true, 7, false));
    }
}
