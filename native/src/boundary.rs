//! Where input from outside (a contract call, a JS caller) meets code that may panic on it:
//! winterfell's deserialisers assert on inconsistent fields instead of returning an error. Such a
//! panic is a refusal of the input, so it is caught and turned into an error here, and reported in
//! one short line instead of the default hook's message and backtrace (with `RUST_BACKTRACE=1`,
//! about 2 KB in a chain node's log per hostile proof, which anyone may send). Panics outside a
//! boundary — a bug on another thread, say — still go to the hook that was installed before.

use std::cell::Cell;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// How many boundaries this thread is inside: the hook is quiet only there.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The longest panic message the one-line report repeats.
const MESSAGE_CHARS: usize = 120;

/// Runs `body`, and if it panics returns `Err(on_panic)`: nothing unwinds past this call.
pub fn catch<T, E>(on_panic: E, body: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    install_hook();
    DEPTH.with(|depth| depth.set(depth.get() + 1));
    let outcome = panic::catch_unwind(AssertUnwindSafe(body));
    DEPTH.with(|depth| depth.set(depth.get() - 1));
    outcome.unwrap_or(Err(on_panic))
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                previous(info);
            } else {
                // a failed write to stderr must not panic inside the hook (that would abort)
                let _ = writeln!(std::io::stderr(), "{}", summary(info));
            }
        }));
    });
}

/// `yilian-native: refused input (panic at winter-air-0.13.1/src/air/trace_info.rs:120: …)`:
/// the crate-relative place and the start of the message, on one line.
fn summary(info: &PanicHookInfo<'_>) -> String {
    let place = info.location().map_or_else(String::new, |location| {
        let file = location.file();
        // registry sources live under …/registry/src/<index>/<crate>-<version>/: keep from the crate
        let short = file
            .split_once("/registry/src/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map_or(file, |(_, from_crate)| from_crate);
        format!(" at {short}:{}", location.line())
    });
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
        .unwrap_or("");
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    format!("yilian-native: refused input (panic{place}: {message})")
}
