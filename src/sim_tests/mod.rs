//! Crash-state enumeration and fault injection over the simulated disk.
