//! Ctrl-C while a line runs. The terminal is in cooked mode then, so Ctrl-C arrives as
//! SIGINT: the handler raises the host's interruption flag, which stops the script at its
//! next step (the engine's `on_progress`) and ends `sleep` early. While a line is typed the
//! terminal is raw and rustyline reads Ctrl-C as a key (it saves and restores this handler).
//! A third Ctrl-C during one line leaves the process, for code stuck where no flag is read.

use crate::host::HostServices;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

static HOST: AtomicPtr<HostServices> = AtomicPtr::new(std::ptr::null_mut());
static PRESSES: AtomicU32 = AtomicU32::new(0);

/// Installs the SIGINT handler for `host`.
pub fn install(host: &'static HostServices) {
    HOST.store(host as *const HostServices as *mut HostServices, Ordering::Release);
    // SAFETY: the handler only does atomic stores, `write` and `_exit`, all
    // async-signal-safe; the action struct is fully initialised before use.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Starts counting Ctrl-C presses afresh (before each line runs).
pub fn rearm() {
    PRESSES.store(0, Ordering::SeqCst);
}

extern "C" fn on_sigint(_: libc::c_int) {
    let host = HOST.load(Ordering::Acquire);
    if !host.is_null() {
        // SAFETY: the pointer comes from a `&'static HostServices`.
        unsafe { (*host).set_interrupted(true) };
    }
    match PRESSES.fetch_add(1, Ordering::SeqCst) + 1 {
        2 => {
            let note = b"\n(still running: Ctrl-C once more quits netscript)\n";
            // SAFETY: writing a static buffer to stderr.
            unsafe { libc::write(2, note.as_ptr().cast(), note.len()) };
        }
        n if n >= 3 => {
            // SAFETY: `_exit` is async-signal-safe; nothing is left to flush that matters.
            unsafe { libc::_exit(130) }
        }
        _ => {}
    }
}
