//! Panics inside exported functions. `ffi_boundary!` catches them; this keeps them
//! silent (SPEC §4: nothing prints) and records their message and place for
//! `ironwal_last_error()`.
//!
//! Rust prints a panic from its process-wide panic hook before unwinding starts. The
//! first call into the C ABI wraps the hook in place then: a panic on a thread that
//! is inside an exported function is recorded instead of printed; any other panic
//! (the host's own Rust code) still goes to the hook that was there before.

use super::status::set_last_error;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::PanicHookInfo;
use std::sync::Once;

thread_local! {
    /// Exported functions running on this thread (they may nest).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the panic being unwound on this thread started.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks this thread as inside an exported function until dropped.
pub(crate) struct InsideBoundary(());

impl InsideBoundary {
    pub(crate) fn enter() -> Self {
        static WRAP_HOOK: Once = Once::new();
        WRAP_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
                if DEPTH.get() > 0 {
                    let location = info.location().map(|at| at.to_string());
                    LOCATION.set(location);
                } else {
                    previous(info);
                }
            }));
        });
        DEPTH.set(DEPTH.get() + 1);
        InsideBoundary(())
    }
}

impl Drop for InsideBoundary {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get() - 1);
    }
}

/// Records a caught panic's message and place as this thread's last error.
pub(crate) fn record_panic(payload: Box<dyn Any + Send>) {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let location = LOCATION.take().unwrap_or_else(|| "unknown place".into());
    set_last_error(format!(
        "internal error (panic caught at the C boundary) at {location}: {detail}"
    ));
}

#[cfg(test)]
mod tests {
    use super::super::status::{ironwal_status, IRONWAL_ERR_PANIC, IRONWAL_OK};
    use std::process::Command;

    const CHILD: &str = "IRONWAL_PANIC_TEST_CHILD";

    /// Runs in a child process of the test binary (the panic hook is process-wide and
    /// prints to the real stderr): a panic inside the boundary prints nothing and
    /// becomes the last error; one outside it still reaches the previous hook.
    #[test]
    fn a_panic_inside_the_boundary_is_recorded_not_printed() {
        if std::env::var_os(CHILD).is_some() {
            let status: ironwal_status = ffi_boundary!(IRONWAL_ERR_PANIC, {
                if std::hint::black_box(true) {
                    panic!("boom inside");
                }
                IRONWAL_OK
            });
            assert_eq!(status, IRONWAL_ERR_PANIC);
            let message =
                unsafe { std::ffi::CStr::from_ptr(super::super::status::ironwal_last_error()) };
            let message = message.to_string_lossy();
            assert!(message.contains("boom inside"), "{message}");
            assert!(message.contains("src/ffi/panic.rs:"), "{message}");
            let outside = std::panic::catch_unwind(|| panic!("boom outside"));
            assert!(outside.is_err());
            return;
        }
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "ffi::panic::tests::a_panic_inside_the_boundary_is_recorded_not_printed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "child failed: {stderr}");
        assert!(!stderr.contains("boom inside"), "printed: {stderr}");
        assert!(
            stderr.contains("boom outside"),
            "hook not chained: {stderr}"
        );
    }
}
