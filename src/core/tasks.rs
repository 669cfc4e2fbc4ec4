//! `task(|| …)` / `.join()` and `parallel(items, |x| …, #{ limit })`: closures run on the
//! worker threads of [`netscript_sdk::workers`]. A task has a thread to itself; `parallel` runs one
//! worker per core (at most `limit`) and interleaves its share of the `limit` calls there
//! as fibers (`netscript_sdk::fibers`), whose network waits overlap on the thread's
//! event loop.

use super::{error, invalid};
use netscript_sdk::error::CommonKind;
use netscript_sdk::fibers;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::unbounded_channel;

/// `parallel`'s default number of closures running at once.
const DEFAULT_LIMIT: usize = 32;

type Outcome = Result<Dynamic, Box<EvalAltResult>>;

/// A running closure; `.join()` waits for its value.
#[derive(Clone)]
pub struct TaskHandle {
    state: Arc<TaskState>,
}

struct TaskState {
    slot: Mutex<Slot>,
    /// Wakes joiners.
    finished: tokio::sync::Notify,
}

enum Slot {
    Running,
    /// Ended, not joined yet.
    Ended(Outcome),
    /// Joined: the value, or the error's script value for later joins.
    Joined(Result<Dynamic, Dynamic>),
}

impl TaskHandle {
    fn start(f: FnPtr) -> ScriptResult<TaskHandle> {
        let f = netscript_sdk::closures::detach_handles(&f);
        let state = Arc::new(TaskState { slot: Mutex::new(Slot::Running), finished: tokio::sync::Notify::new() });
        let done = state.clone();
        netscript_sdk::workers::run(Box::new(move || {
            let outcome = call_caught(&f, Vec::new());
            *done.slot.lock().unwrap_or_else(|e| e.into_inner()) = Slot::Ended(outcome);
            done.finished.notify_waiters();
        }))
        .map_err(|e| error(CommonKind::IoError, format!("cannot start a worker thread: {e}")))?;
        Ok(TaskHandle { state })
    }

    fn join(&self) -> Outcome {
        // Through the SDK: on a fiber it suspends (the task may need this thread: a request
        // to the server whose handler is joining), and Ctrl-C interrupts it anywhere.
        netscript_sdk::runtime::block_on("core", async {
            loop {
                let ended = self.state.finished.notified();
                if !self.is_running() {
                    break;
                }
                ended.await;
            }
        })
        .map_err(script_error)?;
        let mut slot = self.state.slot.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *slot, Slot::Running) {
            // The first join gets the error itself (with its position); later joins its value.
            Slot::Ended(outcome) => {
                *slot = Slot::Joined(match &outcome {
                    Ok(v) => Ok(v.clone()),
                    Err(e) => Err(error_value(e)),
                });
                outcome
            }
            Slot::Joined(joined) => {
                *slot = Slot::Joined(joined.clone());
                joined.map_err(|v| Box::new(EvalAltResult::ErrorRuntime(v, netscript_sdk::rhai::Position::NONE)))
            }
            Slot::Running => unreachable!("waited above"),
        }
    }

    fn is_finished(&self) -> bool {
        !self.is_running()
    }

    fn is_running(&self) -> bool {
        matches!(*self.state.slot.lock().unwrap_or_else(|e| e.into_inner()), Slot::Running)
    }
}

/// Calls `f` on this (worker) thread; a panic that escapes becomes a `PluginError`.
fn call_caught(f: &FnPtr, args: Vec<Dynamic>) -> Outcome {
    catch_unwind(AssertUnwindSafe(|| host().call_fn(f, args)))
        .unwrap_or_else(|_| Err(error(CommonKind::PluginError, "a task panicked")))
}

/// The value a `catch` would see for `err`.
fn error_value(err: &EvalAltResult) -> Dynamic {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => error_value(inner),
        EvalAltResult::ErrorRuntime(v, _) => v.clone(),
        other => other.to_string().into(),
    }
}

/// Registers `task` and `parallel` into the global module.
pub fn register(m: &mut ModuleBuilder) {
    m.custom_type::<TaskHandle>("Task");
    m.func(
        "task",
        &["closure"],
        r#"
        Runs a closure on a worker thread; `.join()` returns its value (or re-throws its error).
        `spawn` is a reserved word in Rhai, hence `task`.
        ```rhai
        let a = task(|| { sleep(0.5); 1 });
        let b = task(|| { sleep(0.5); 2 });
        print(a.join() + b.join());   // 3, after about 0.5 s
        ```
        Errors: `IoError` when no thread can be started."#,
        TaskHandle::start,
    );
    m.method(
        "join",
        &[],
        r#"
        Waits for the task and returns its value; re-throws the error it ended with.
        ```rhai
        let t = task(|| 6 * 7);
        print(t.join());
        ```
        Errors: whatever the closure threw."#,
        |t: &mut TaskHandle| t.join(),
    );
    m.method(
        "is_finished",
        &[],
        r#"
        Whether the task has ended (without waiting).
        ```rhai
        let t = task(|| 1);
        t.join();
        print(t.is_finished());   // true
        ```
        Errors: none."#,
        |t: &mut TaskHandle| t.is_finished(),
    );
    m.pure_method(
        "to_string",
        &[],
        "The task as text.\n```rhai\nprint(task(|| 1));\n```\nErrors: none.",
        |t: &mut TaskHandle| format!("Task({})", if t.is_finished() { "finished" } else { "running" }),
    );
    m.func(
        "parallel",
        &["items", "closure"],
        r#"
        Calls the closure on every item, 32 at once, and returns the results in input order.
        The calls run on one worker thread per core, several interleaved on each: while one
        waits for the network (or `sleep`s), the others run, so 32 requests are in flight
        with no thread switch per response.
        ```rhai
        let squares = parallel([1, 2, 3], |x| x * x);   // [1, 4, 9]
        ```
        Errors: the first item's error (in input order) once all running items end."#,
        |items: Array, f: FnPtr| parallel(items, f, DEFAULT_LIMIT),
    );
    m.func(
        "parallel",
        &["items", "closure", "options"],
        r#"
        Like `parallel(items, closure)`, with `#{ limit: N }` closures running at once.
        ```rhai
        let pages = parallel(["a", "b", "c"], |x| x + "!", #{ limit: 2 });
        ```
        Errors: `InvalidArgument` for an unknown option or a limit below 1; the first item's error."#,
        |items: Array, f: FnPtr, options: Map| -> ScriptResult<Array> { parallel(items, f, limit_of(options)?) },
    );
    register_range::<std::ops::Range<INT>>(m, "a range", "0..4", "[0, 1, 4, 9]");
    register_range::<std::ops::RangeInclusive<INT>>(m, "an inclusive range", "1..=3", "[1, 4, 9]");
}

/// Registers `parallel(range, closure[, options])` for one kind of integer range.
fn register_range<R>(m: &mut ModuleBuilder, what: &str, example: &str, squares: &str)
where
    R: Iterator<Item = INT> + Clone + Send + Sync + 'static,
{
    let doc = format!(
        r#"
        Like `parallel(items, closure)` over the integers of {what} (Python's
        `pool.map(f, range(n))`).
        ```rhai
        let squares = parallel({example}, |i| i * i);   // {squares}
        ```
        Errors: `InvalidArgument` for a range of more than 10 million numbers; the first item's error."#
    );
    m.func("parallel", &["range", "closure"], &doc, |range: R, f: FnPtr| {
        parallel(range_items(range)?, f, DEFAULT_LIMIT)
    });
    let doc = format!(
        r#"
        Like `parallel(range, closure)` over {what}, with `#{{ limit: N }}` closures running at once.
        ```rhai
        let pages = parallel({example}, |n| `page ${{n}}`, #{{ limit: 2 }});
        ```
        Errors: `InvalidArgument` for an unknown option, a limit below 1 or a range of more than
        10 million numbers; the first item's error."#
    );
    m.func("parallel", &["range", "closure", "options"], &doc, |range: R, f: FnPtr, options: Map| {
        parallel(range_items(range)?, f, limit_of(options)?)
    });
}

/// `parallel`'s `#{ limit }` option.
fn limit_of(options: Map) -> ScriptResult<usize> {
    let opts = Options::parse("core", "parallel", options, &["limit"]).map_err(script_error)?;
    let limit = opts.int("limit").map_err(script_error)?.unwrap_or(DEFAULT_LIMIT as INT);
    if limit < 1 {
        return Err(invalid(format!("parallel: limit must be at least 1, not {limit}")));
    }
    Ok(limit as usize)
}

/// Most numbers a range given to `parallel` may hold (each becomes an array item).
const MAX_RANGE_ITEMS: usize = 10_000_000;

/// The integers of a range as items, refusing one too large to hold.
fn range_items(range: impl Iterator<Item = INT>) -> ScriptResult<Array> {
    // i64 ranges give an exact lower bound (saturated at usize::MAX).
    let (low, _) = range.size_hint();
    if low > MAX_RANGE_ITEMS {
        return Err(invalid(format!("parallel: a range of {low} numbers is too large (at most {MAX_RANGE_ITEMS})")));
    }
    Ok(range.map(Dynamic::from_int).collect())
}

fn parallel(items: Array, f: FnPtr, limit: usize) -> ScriptResult<Array> {
    // Closures calling methods of one captured object (a resolver, a session) at once.
    let f = netscript_sdk::closures::detach_handles(&f);
    let count = items.len();
    if count == 0 {
        return Ok(Array::new());
    }
    let work = Arc::new(Work {
        items,
        results: (0..count).map(|_| Mutex::new(None)).collect(),
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        f,
    });
    let concurrency = limit.min(count);
    // One thread per core, the closures interleaved on each as fibers: their waits overlap
    // on each thread's event loop. A nested `parallel` (from a fiber) does the same on
    // worker threads of its own while its caller suspends.
    let threads = concurrency.min(cores());
    let (done, mut finished) = unbounded_channel::<()>();
    let mut started = 0;
    for t in 0..threads {
        // Spread the fibers evenly: 32 over 2 threads is 16 each.
        let share = concurrency / threads + usize::from(t < concurrency % threads);
        let (work, done) = (work.clone(), done.clone());
        let job = Box::new(move || {
            if share == 1 {
                work.run();
            } else {
                let body = work.clone();
                if fibers::run_interleaved(share, Arc::new(move || body.run())).is_err() {
                    work.run();
                }
            }
            let _ = done.send(());
        });
        match netscript_sdk::workers::run(job) {
            Ok(()) => started += 1,
            // Fewer threads than asked for still get through the items.
            Err(_) if started > 0 => break,
            Err(e) => return Err(error(CommonKind::IoError, format!("cannot start a worker thread: {e}"))),
        }
    }
    drop(done);
    // Through the SDK: on a fiber (a nested `parallel`) the caller suspends.
    let all_ended = netscript_sdk::runtime::block_on("core", async move {
        let mut ended = 0;
        while ended < started && finished.recv().await.is_some() {
            ended += 1;
        }
        ended == started
    })
    .map_err(script_error)?;
    if !all_ended {
        return Err(error(CommonKind::PluginError, "a parallel worker was lost"));
    }
    let mut out = Array::with_capacity(count);
    for slot in work.results.iter() {
        match slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => out.push(Dynamic::UNIT),
        }
    }
    Ok(out)
}

/// The items of one `parallel` call, shared by its workers.
struct Work {
    items: Array,
    results: Vec<Mutex<Option<Outcome>>>,
    next: AtomicUsize,
    failed: AtomicBool,
    f: FnPtr,
}

impl Work {
    /// Takes items until none is left (or one has failed) and calls the closure on each.
    fn run(&self) {
        // After a failure, start nothing new: the error is what the caller gets.
        while !self.failed.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.items.len() {
                break;
            }
            let outcome = call_caught(&self.f, vec![self.items[i].clone()]);
            if outcome.is_err() {
                self.failed.store(true, Ordering::Relaxed);
            }
            *self.results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        }
    }
}

/// The cores this process may use.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
}
