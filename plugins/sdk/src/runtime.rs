//! The tokio runtime plugin I/O runs on, and the bridge from synchronous script code to it.
//!
//! Script code never runs inside a tokio task: a script function calls [`block_on`] from
//! the script's own thread and waits for its future there. Built-in plugins share the
//! host's copy of this runtime; a dynamic plugin library has its own copy of tokio's
//! statics, so it starts its own runtime on first use (tokio's thread-local context cannot
//! cross a library boundary).
//!
//! [`block_on_local`] is the other bridge: every script thread also has a runtime of its
//! own (current-thread, started on first use). A future run there does its I/O on the
//! waiting thread itself — no hand-off to a runtime worker and back — which is what a
//! client making many small requests wants. What such a future creates (a pooled
//! connection's task, a timer) belongs to that thread and only moves while the thread
//! waits in `block_on_local` again, so it must not be shared with other threads.

use crate::error::{CommonError, CommonKind};
use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;

pub use crate::runtimes::runtime;

/// How often a waiting script thread looks at the interruption flag.
const INTERRUPT_POLL: Duration = Duration::from_millis(50);

/// Runs `fut` to completion from a script thread on the shared runtime. Returns
/// `Err(PluginError)` when called from inside a runtime (a bug in the caller, which would
/// otherwise panic), and `Err(Timeout)` when the user interrupts the wait.
/// On a fiber ([`crate::fibers`]) the fiber suspends instead, and the wait overlaps with its
/// siblings'.
pub fn block_on<F: Future>(protocol: &str, fut: F) -> Result<F::Output, CommonError> {
    if crate::fibers::in_fiber() {
        let cancel = crate::fibers::cancel_flag();
        return crate::fibers::suspend_on(true, interruptible(protocol, fut, cancel))?;
    }
    if host_fiber() {
        return suspend_through_host(protocol, fut);
    }
    not_inside_a_runtime(protocol)?;
    runtime().block_on(interruptible(protocol, fut, None))
}

/// Runs `fut` to completion on this thread's own current-thread runtime (see the module
/// docs: what the future leaves behind stays with this thread). Errors and fibers as
/// [`block_on`].
pub fn block_on_local<F: Future>(protocol: &str, fut: F) -> Result<F::Output, CommonError> {
    if crate::fibers::in_fiber() {
        let cancel = crate::fibers::cancel_flag();
        return crate::fibers::suspend_on(false, interruptible(protocol, fut, cancel))?;
    }
    if host_fiber() {
        return suspend_through_host(protocol, fut);
    }
    not_inside_a_runtime(protocol)?;
    crate::runtimes::with_local_or_shared(|rt| rt.block_on(interruptible(protocol, fut, None)))
}

/// Whether this is a dynamic plugin's copy of the SDK running on one of the host's fibers
/// (the host's own copy knows its fibers itself: [`crate::fibers::in_fiber`]).
fn host_fiber() -> bool {
    !crate::fibers::in_fiber() && crate::host::host().in_fiber()
}

/// A dynamic plugin's wait on a host fiber: the host's driver polls `fut` — inside this
/// copy's runtime context, which drives its I/O and timers — while the fiber's siblings run.
fn suspend_through_host<F: Future>(protocol: &str, fut: F) -> Result<F::Output, CommonError> {
    let rt = runtime();
    let mut out = None;
    {
        let mut waiting = std::pin::pin!(async { out = Some(interruptible(protocol, fut, None).await) });
        let mut entered = std::pin::pin!(std::future::poll_fn(|cx| {
            let _context = rt.enter();
            waiting.as_mut().poll(cx)
        }));
        crate::host::host().suspend_on(entered.as_mut())?;
    }
    out.unwrap_or_else(|| {
        Err(CommonError::new(CommonKind::PluginError, protocol, "the host resumed an unfinished wait"))
    })
}

/// Locks `mutex` from a script thread or a fiber. A lock that is held across a wait (a
/// connection's read buffer during a read) must be taken this way, never as a
/// `std::sync::Mutex`: a fiber blocked on a std lock blocks its whole thread, and with it
/// the fiber that holds the lock — a deadlock. Here a fiber suspends instead. Errors:
/// `Timeout` when the wait is interrupted.
pub fn lock<'a, T>(
    protocol: &str,
    mutex: &'a tokio::sync::Mutex<T>,
) -> Result<tokio::sync::MutexGuard<'a, T>, CommonError> {
    match mutex.try_lock() {
        Ok(guard) => Ok(guard),
        Err(_) => block_on(protocol, mutex.lock()),
    }
}

/// Runs `f`, a call that blocks (the system resolver, a large file), without holding up
/// other work: on a fiber it runs on the runtime's blocking pool while the fiber suspends;
/// on a plain script thread it simply runs. Errors: `Timeout` when a fiber's wait is
/// interrupted, `PluginError` when `f` panicked on the pool.
pub fn run_blocking<R: Send + 'static>(
    protocol: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<R, CommonError> {
    if !crate::fibers::in_fiber() && !host_fiber() {
        return Ok(f());
    }
    block_on(protocol, async move { tokio::task::spawn_blocking(f).await })?
        .map_err(|e| CommonError::new(CommonKind::PluginError, protocol, format!("blocking call failed: {e}")))
}

/// Sleeps for `nap`, interruptibly: on a fiber its siblings run meanwhile. Huge naps
/// ([`crate::timeout::NO_LIMIT`]) last until interrupted. Errors: `Timeout` when interrupted.
pub fn sleep(protocol: &str, nap: Duration) -> Result<(), CommonError> {
    // The timer is made inside the future: creating one needs the runtime's context.
    block_on(protocol, async move { tokio::time::sleep(nap).await })
}

/// One system call on a socket that may have to wait, done the way the calling code runs:
/// `op(false)` on a plain thread (a blocking call that gives up after `slice` by itself, as
/// the caller arranged with `SO_RCVTIMEO`/`SO_SNDTIMEO`), or on a fiber `op(true)` — the
/// non-blocking form — retried whenever `readiness()` (the socket's registration with the
/// shared runtime, made on first use) says the socket is ready, suspending the fiber meanwhile
/// for at most `slice` (then `WouldBlock`, as the blocking call would time out). An
/// interrupted wait is `Interrupted`: the caller looks at the flag.
pub fn socket_call<'a, T, R: std::os::fd::AsRawFd + 'a>(
    protocol: &str,
    readiness: impl FnOnce() -> std::io::Result<&'a tokio::io::unix::AsyncFd<R>>,
    interest: tokio::io::Interest,
    slice: Duration,
    mut op: impl FnMut(bool) -> std::io::Result<T>,
) -> std::io::Result<T> {
    use std::io::ErrorKind;
    if !crate::fibers::in_fiber() && !host_fiber() {
        return op(false);
    }
    let fd = readiness()?;
    let until = tokio::time::Instant::now() + slice;
    loop {
        match op(true) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            done => return done,
        }
        let waited = block_on(protocol, async {
            tokio::time::timeout_at(until, async {
                let mut ready = fd.ready(interest).await?;
                ready.clear_ready();
                Ok::<_, std::io::Error>(())
            })
            .await
        });
        match waited {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(_elapsed)) => return Err(ErrorKind::WouldBlock.into()),
            Err(_) => return Err(ErrorKind::Interrupted.into()),
        }
    }
}

fn not_inside_a_runtime(protocol: &str) -> Result<(), CommonError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(CommonError::new(
            CommonKind::PluginError,
            protocol,
            "block_on called from inside the async runtime",
        ));
    }
    Ok(())
}

/// `fut`, ended early with `Timeout` when the host's interruption flag is raised, or when
/// the waiting fiber is cancelled (`cancel`).
async fn interruptible<F: Future>(
    protocol: &str,
    fut: F,
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Result<F::Output, CommonError> {
    tokio::pin!(fut);
    // First look after one period: an interval's immediate first tick would cost every
    // call an extra wake-up for nothing.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + INTERRUPT_POLL, INTERRUPT_POLL);
    loop {
        tokio::select! {
            out = &mut fut => return Ok(out),
            _ = tick.tick() => {
                if crate::host::host().interrupted() {
                    return Err(CommonError::new(CommonKind::Timeout, protocol, "interrupted"));
                }
                if cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                    return Err(CommonError::new(CommonKind::Timeout, protocol, "cancelled: past its time limit"));
                }
            }
        }
    }
}

/// Runs `fut` with a timeout of `limit` over the whole operation (not only its connect);
/// on expiry the error (`Timeout`) says `what` timed out. [`crate::timeout::NO_LIMIT`]
/// waits without limit.
pub fn block_on_timeout<F: Future>(
    protocol: &str,
    what: &str,
    limit: Duration,
    fut: F,
) -> Result<F::Output, CommonError> {
    within(protocol, what, limit, fut, false)
}

/// [`block_on_local`] with a time limit over the whole of `fut`, as [`block_on_timeout`].
pub fn block_on_local_timeout<F: Future>(
    protocol: &str,
    what: &str,
    limit: Duration,
    fut: F,
) -> Result<F::Output, CommonError> {
    within(protocol, what, limit, fut, true)
}

/// `fut` within `limit`, on this thread's runtime (`local`) or the shared one.
fn within<F: Future>(
    protocol: &str,
    what: &str,
    limit: Duration,
    fut: F,
    local: bool,
) -> Result<F::Output, CommonError> {
    let timed = async move {
        if crate::timeout::is_no_limit(limit) {
            Ok::<_, tokio::time::error::Elapsed>(fut.await)
        } else {
            tokio::time::timeout(limit, fut).await
        }
    };
    let outcome = if local { block_on_local(protocol, timed) } else { block_on(protocol, timed) }?;
    outcome.map_err(|_| CommonError::timeout(protocol, what, limit))
}

/// The values of [`per_thread`], each with its owner.
type PerThreadValues = Vec<(Weak<dyn Any + Send + Sync>, Box<dyn Any>)>;

thread_local! {
    /// [`per_thread`]'s values: each with the owner it was made for.
    static PER_THREAD: RefCell<PerThreadValues> = const { RefCell::new(Vec::new()) };
}

/// The calling thread's value for `owner`, made by `make` on the thread's first call: the
/// client objects that live on a thread's own runtime ([`block_on_local`]: a pooled HTTP
/// client, a DNS resolver with its background tasks) are made once per thread from a
/// configuration the script shares between threads. Values of owners dropped since are
/// dropped on the way. Errors: those of `make`.
pub fn per_thread<K, T, E>(owner: &Arc<K>, make: impl FnOnce() -> Result<T, E>) -> Result<T, E>
where
    K: Send + Sync + 'static,
    T: Clone + 'static,
{
    let key = Arc::as_ptr(owner).cast::<()>();
    let found = PER_THREAD.with(|cell| {
        cell.borrow()
            .iter()
            .find(|(w, _)| std::ptr::eq(w.as_ptr().cast::<()>(), key) && w.strong_count() > 0)
            .and_then(|(_, value)| value.downcast_ref::<T>().cloned())
    });
    if let Some(value) = found {
        return Ok(value);
    }
    // Made outside the borrow: `make` may itself use per-thread values.
    let made = make()?;
    let weak: Weak<dyn Any + Send + Sync> = Arc::downgrade(owner) as Weak<dyn Any + Send + Sync>;
    // Dropped outside the borrow too: a value's drop may reach per-thread values.
    let dead: Vec<_> = PER_THREAD.with(|cell| {
        let mut values = cell.borrow_mut();
        let (live, dead): (Vec<_>, Vec<_>) = values.drain(..).partition(|(w, _)| w.strong_count() > 0);
        *values = live;
        values.push((weak, Box::new(made.clone())));
        dead
    });
    drop(dead);
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_thread_values_are_made_once_per_thread_and_owner() {
        let made = std::sync::atomic::AtomicUsize::new(0);
        let make = || -> Result<usize, ()> { Ok(made.fetch_add(1, std::sync::atomic::Ordering::SeqCst)) };
        let (a, b) = (Arc::new(1u8), Arc::new(2u8));
        assert_eq!(per_thread(&a, make), Ok(0));
        assert_eq!(per_thread(&a, make), Ok(0));
        assert_eq!(per_thread(&b, make), Ok(1));
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(per_thread(&a, make), Ok(2)));
        });
        drop(a);
        let c = Arc::new(3u8);
        assert_eq!(per_thread(&c, make), Ok(3), "a new owner, perhaps at a dropped one's address");
        assert_eq!(per_thread(&b, make), Ok(1));
    }

    #[test]
    fn a_slow_future_times_out_with_its_description() {
        let err = block_on_timeout("test", "waiting", Duration::from_millis(50), async {
            tokio::time::sleep(Duration::from_secs(5)).await
        })
        .unwrap_err();
        assert_eq!(err.kind, CommonKind::Timeout);
        assert!(err.message.contains("waiting timed out"));
    }

    #[test]
    fn an_enormous_timeout_is_no_limit_not_a_panic() {
        assert_eq!(block_on_timeout("test", "x", crate::timeout::NO_LIMIT, async { 7 }).unwrap(), 7);
    }

    #[test]
    fn block_on_local_keeps_its_runtime_for_the_thread() {
        // A task spawned by one call is still there (and runs) in the next call.
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        block_on_local("test", async move {
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                let _ = tx.send(5);
            });
        })
        .unwrap();
        assert_eq!(block_on_local("test", rx).unwrap().unwrap(), 5);
        let nested = block_on_local("test", async { block_on_local("test", async { 1 }).is_err() }).unwrap();
        assert!(nested);
    }

    #[test]
    fn block_on_inside_the_runtime_is_an_error_not_a_panic() {
        let inner = runtime().block_on(async { block_on("test", async { 1 }).is_err() });
        assert!(inner);
    }
}
