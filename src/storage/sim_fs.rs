//! Simulated disk: a `Vfs` that keeps durable and not-yet-durable state apart (test only).
