//! The one pool of threads that run script code concurrently: `task`, `parallel`, the
//! handlers of `socket::serve` and the server threads of `http::serve`. Threads start on
//! demand and are kept after their job, so a thread's per-thread state outlives one call —
//! its runtime and the pooled keep-alive connections plugins open there (`block_on_local`)
//! — and a `parallel` over 32 items does not pay 32 thread starts (~0.1–0.2 ms each on a
//! small VM) every time. At most [`MAX_WORKERS`] run at once: a server bounds its own
//! concurrency below that (its `workers` option) so a flood of clients costs no thread.
//!
//! An idle worker waits on a channel of its own; the most recently idle one is reused first,
//! so the hot threads stay hot and the surplus ones end after [`IDLE_LIMIT`] unused.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Worker threads get room for deep script recursion.
const WORKER_STACK: usize = 8 * 1024 * 1024;
/// How long an idle worker waits for a job before it ends.
const IDLE_LIMIT: Duration = Duration::from_secs(30);

/// A unit of work for a worker thread. It must catch its own errors; a panic ends the job
/// (the worker goes on), and the job's own result channel reports it as lost.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

struct Idle {
    id: u64,
    jobs: Sender<Job>,
}

fn idle_workers() -> &'static Mutex<Vec<Idle>> {
    static IDLE: OnceLock<Mutex<Vec<Idle>>> = OnceLock::new();
    IDLE.get_or_init(Default::default)
}

/// Most worker threads alive at once.
pub const MAX_WORKERS: u64 = 1024;

/// Workers alive now.
static ALIVE: AtomicU64 = AtomicU64::new(0);

/// Runs `job` on an idle worker, or on a new one. Errors (an `io::Error`): no thread can
/// be started, or [`MAX_WORKERS`] are busy already.
pub fn run(job: Job) -> std::io::Result<()> {
    let mut job = job;
    loop {
        let idle = idle_workers().lock().unwrap_or_else(|e| e.into_inner()).pop();
        let Some(worker) = idle else { break };
        // A worker that has just ended drops its receiver: try the next one.
        match worker.jobs.send(job) {
            Ok(()) => return Ok(()),
            Err(returned) => job = returned.0,
        }
    }
    spawn(job)
}

/// Ids of the workers (also: how many were ever started).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn spawn(first: Job) -> std::io::Result<()> {
    if ALIVE.fetch_add(1, Ordering::AcqRel) >= MAX_WORKERS {
        ALIVE.fetch_sub(1, Ordering::AcqRel);
        return Err(std::io::Error::other(format!("all {MAX_WORKERS} worker threads are busy")));
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let started =
        std::thread::Builder::new().name("netscript-worker".into()).stack_size(WORKER_STACK).spawn(move || {
            // Counted out however the thread ends.
            struct Alive;
            impl Drop for Alive {
                fn drop(&mut self) {
                    ALIVE.fetch_sub(1, Ordering::AcqRel);
                }
            }
            let _alive = Alive;
            let (jobs, inbox) = channel::<Job>();
            let mut job = first;
            loop {
                let _ = catch_unwind(AssertUnwindSafe(job));
                idle_workers().lock().unwrap_or_else(|e| e.into_inner()).push(Idle { id, jobs: jobs.clone() });
                job = match inbox.recv_timeout(IDLE_LIMIT) {
                    Ok(next) => next,
                    Err(RecvTimeoutError::Timeout) => {
                        let mut idle = idle_workers().lock().unwrap_or_else(|e| e.into_inner());
                        match idle.iter().position(|w| w.id == id) {
                            Some(at) => {
                                idle.remove(at);
                                return;
                            }
                            // Taken just now: its job is on the way.
                            None => {
                                drop(idle);
                                match inbox.recv() {
                                    Ok(next) => next,
                                    Err(_) => return,
                                }
                            }
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                };
            }
        });
    if let Err(e) = started {
        ALIVE.fetch_sub(1, Ordering::AcqRel);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn workers_are_reused_and_outlive_a_panicking_job() {
        let (tx, rx) = channel();
        let first = tx.clone();
        run(Box::new(move || first.send(std::thread::current().id()).unwrap())).unwrap();
        let a = rx.recv().unwrap();
        // Once the worker is idle again, the next job goes to it: no thread is started.
        while idle_workers().lock().unwrap().is_empty() {
            std::thread::yield_now();
        }
        let started = NEXT_ID.load(Ordering::Relaxed);
        let second = tx.clone();
        run(Box::new(move || second.send(std::thread::current().id()).unwrap())).unwrap();
        assert_eq!(rx.recv().unwrap(), a);
        assert_eq!(NEXT_ID.load(Ordering::Relaxed), started);

        run(Box::new(|| panic!("job panics"))).unwrap();
        while idle_workers().lock().unwrap().is_empty() {
            std::thread::yield_now();
        }
        run(Box::new(move || tx.send(std::thread::current().id()).unwrap())).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), a);
    }
}
