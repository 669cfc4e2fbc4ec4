//! `task(|| …)` / `.join()` and `parallel(items, |x| …, #{ limit })`: closures run on worker
//! threads (never inside a tokio task), each blocking on network I/O independently.

use super::{error, invalid};
use netscript_sdk::error::CommonKind;
use netscript_sdk::prelude::*;
use netscript_sdk::rhai::FnPtr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Worker threads get room for deep script recursion.
const WORKER_STACK: usize = 8 * 1024 * 1024;
/// `parallel`'s default number of closures running at once.
const DEFAULT_LIMIT: usize = 32;

type Outcome = Result<Dynamic, Box<EvalAltResult>>;

/// A running closure; `.join()` waits for its value.
#[derive(Clone)]
pub struct TaskHandle {
    state: Arc<Mutex<TaskState>>,
}

enum TaskState {
    Running(JoinHandle<Outcome>),
    /// Joined: the value, or the error's script value for later joins.
    Done(Result<Dynamic, Dynamic>),
    Taken,
}

impl TaskHandle {
    fn join(&self) -> Outcome {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let TaskState::Running(_) = &*state {
            let TaskState::Running(handle) = std::mem::replace(&mut *state, TaskState::Taken) else { unreachable!() };
            let outcome = handle.join().unwrap_or_else(|_| Err(error(CommonKind::PluginError, "task thread panicked")));
            // The first join gets the error itself (with its position); later joins its value.
            *state = TaskState::Done(match &outcome {
                Ok(v) => Ok(v.clone()),
                Err(e) => Err(error_value(e)),
            });
            return outcome;
        }
        match &*state {
            TaskState::Done(Ok(v)) => Ok(v.clone()),
            TaskState::Done(Err(v)) => {
                Err(Box::new(EvalAltResult::ErrorRuntime(v.clone(), netscript_sdk::rhai::Position::NONE)))
            }
            _ => Err(error(CommonKind::PluginError, "task state lost")),
        }
    }

    fn is_finished(&self) -> bool {
        match &*self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            TaskState::Running(h) => h.is_finished(),
            _ => true,
        }
    }
}

/// The value a `catch` would see for `err`.
fn error_value(err: &EvalAltResult) -> Dynamic {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => error_value(inner),
        EvalAltResult::ErrorRuntime(v, _) => v.clone(),
        other => other.to_string().into(),
    }
}

fn spawn_worker<F: FnOnce() -> Outcome + Send + 'static>(f: F) -> ScriptResult<JoinHandle<Outcome>> {
    std::thread::Builder::new()
        .name("netscript-task".into())
        .stack_size(WORKER_STACK)
        .spawn(f)
        .map_err(|e| error(CommonKind::IoError, format!("cannot start a worker thread: {e}")))
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
        |f: FnPtr| -> ScriptResult<TaskHandle> {
            let handle = spawn_worker(move || host().call_fn(&f, Vec::new()))?;
            Ok(TaskHandle { state: Arc::new(Mutex::new(TaskState::Running(handle))) })
        },
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
        Calls the closure on every item on worker threads (32 at once) and returns the results
        in input order.
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
        |items: Array, f: FnPtr, options: Map| -> ScriptResult<Array> {
            let opts = Options::parse("core", "parallel", options, &["limit"]).map_err(script_error)?;
            let limit = opts.int("limit").map_err(script_error)?.unwrap_or(DEFAULT_LIMIT as INT);
            if limit < 1 {
                return Err(invalid(format!("parallel: limit must be at least 1, not {limit}")));
            }
            parallel(items, f, limit as usize)
        },
    );
}

fn parallel(items: Array, f: FnPtr, limit: usize) -> ScriptResult<Array> {
    let count = items.len();
    if count == 0 {
        return Ok(Array::new());
    }
    let items = Arc::new(items);
    let results: Arc<Vec<Mutex<Option<Outcome>>>> = Arc::new((0..count).map(|_| Mutex::new(None)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicBool::new(false));
    let workers = limit.min(count);
    let mut handles = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (items, results, next, failed, f) =
            (items.clone(), results.clone(), next.clone(), failed.clone(), f.clone());
        handles.push(spawn_worker(move || {
            loop {
                // After a failure, start nothing new: the error is what the caller gets.
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let outcome = host().call_fn(&f, vec![items[i].clone()]);
                if outcome.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
            }
            Ok(Dynamic::UNIT)
        })?);
    }
    for h in handles {
        if h.join().is_err() {
            return Err(error(CommonKind::PluginError, "a parallel worker thread panicked"));
        }
    }
    let mut out = Array::with_capacity(count);
    for slot in results.iter() {
        match slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => out.push(Dynamic::UNIT),
        }
    }
    Ok(out)
}
