//! The usage guide's quick start: open a WAL, append, read back, batch, iterate.

use ironwal::{SyncMode, Wal, WalOptions};

fn main() -> ironwal::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./my_wal_data".into());
    let mut opts = WalOptions::new(dir);
    opts.sync_mode = SyncMode::Strict;
    let wal = Wal::new(opts)?;

    let id = wal.append("logs", b"Hello, IronWal!")?;
    println!("Written entry at ID: {id}");
    if let Some(data) = wal.get("logs", id)? {
        println!("Read: {:?}", String::from_utf8_lossy(&data));
    }

    let range = wal.append_batch(
        "transactions",
        &[b"Transaction Start", b"Update A", b"Update B"],
    )?;
    println!("Batch written to IDs {} to {}", range.start, range.end);
    for entry in wal.iter("transactions", range.start)? {
        println!("  {}", String::from_utf8_lossy(&entry?));
    }
    Ok(())
}
