//! Closures run concurrently (`parallel`, `task`, server handlers) and the objects they
//! capture. Rhai shares a captured variable between the closure and its scope, and calling
//! a method on it takes that variable's write lock for the whole call. Two closures calling
//! `r.resolve(…)` on one captured resolver at once — or a handler calling `server.stop()`
//! while the script waits in `server.wait()` — would then fail with "Data race detected".
//!
//! A plugin object (a resolver, a session, a server, a socket) is a handle: its clones share
//! one underlying object. [`detach_handles`] gives a closure its own clone of each captured
//! handle, so concurrent calls need no lock. A captured closure is detached the same way:
//! calling it would otherwise hold its variable's lock for the whole call (a helper closure
//! doing a transfer, called from every `parallel` item), and a closure value never changes.
//! Captured plain data (maps, arrays, numbers, strings) stays shared, with the locking Rhai
//! gives it.
//!
//! [`Callback`] is how a plugin function keeps and calls a closure it was given.

use rhai::{Dynamic, EvalAltResult, FnPtr};
use std::mem::ManuallyDrop;

/// A script closure a plugin function was given (`|…| …` as an argument), to call back:
/// `Callback::new(f)` then `.call(args)`. Use it rather than keeping the `FnPtr`:
/// - the call goes through the host (`host().call_fn`), whose Rhai runs the script; a plugin
///   loaded at run time has a copy of Rhai of its own that cannot reach the host's modules
///   (`fs::`, `mail::`);
/// - it never drops the closure with the plugin's own code: an `FnPtr` that captured nothing
///   holds the host's copy of an empty list, whose static header the plugin's copy of the
///   same code does not recognise and would try to free (a crash). Such a closure is left to
///   the host (nothing is allocated for it, so nothing leaks).
pub struct Callback(ManuallyDrop<FnPtr>);

impl Callback {
    /// Takes the closure `f`.
    pub fn new(f: FnPtr) -> Callback {
        Callback(ManuallyDrop::new(f))
    }

    /// Calls it with `args`; what it throws comes back as the error, to be returned as it is.
    pub fn call(&self, args: Vec<Dynamic>) -> Result<Dynamic, Box<EvalAltResult>> {
        crate::host::host().call_fn(&self.0, args)
    }
}

impl Drop for Callback {
    fn drop(&mut self) {
        if self.0.is_curried() {
            // SAFETY: dropped once, here; a captured list lives on the heap, which either
            // copy of the code frees alike.
            unsafe { ManuallyDrop::drop(&mut self.0) }
        }
    }
}

/// `f` with every captured plugin object and closure replaced by its own clone (see the
/// module docs). A captured variable locked at this moment stays as it is.
pub fn detach_handles(f: &FnPtr) -> FnPtr {
    let mut out = f.clone();
    if !out.is_curried() {
        return out;
    }
    for captured in out.iter_curry_mut() {
        if captured.is_shared() {
            let inner = captured.flatten_clone();
            if !inner.is_shared() && (inner.is_fnptr() || is_handle(&inner)) {
                *captured = inner;
            }
        }
    }
    out
}

/// Whether a value is a plugin object (a custom type), not one of Rhai's own.
fn is_handle(value: &Dynamic) -> bool {
    !(value.is_unit()
        || value.is_int()
        || value.is_float()
        || value.is_bool()
        || value.is_char()
        || value.is_string()
        || value.is_array()
        || value.is_map()
        || value.is_blob()
        || value.is_fnptr()
        || value.is_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone)]
    struct Handle;

    #[test]
    fn captured_handles_are_cloned_and_data_stays_shared() {
        let mut f = FnPtr::new("anon").unwrap();
        let handle = Dynamic::from(Handle).into_shared();
        let counter = Dynamic::from_int(1).into_shared();
        f.set_curry([handle, counter]);
        let detached = detach_handles(&f);
        let curry = detached.curry();
        assert!(!curry[0].is_shared() && curry[0].is::<Handle>());
        assert!(curry[1].is_shared());
    }

    #[test]
    fn captured_closures_are_cloned() {
        let mut f = FnPtr::new("anon").unwrap();
        let helper = Dynamic::from(FnPtr::new("helper").unwrap()).into_shared();
        f.set_curry([helper]);
        let detached = detach_handles(&f);
        let curry = detached.curry();
        assert!(!curry[0].is_shared() && curry[0].is_fnptr());
    }
}
