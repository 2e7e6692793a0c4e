//! Recovery of an arbitrary active segment: a valid header followed by the fuzz input
//! as the frame region. `Wal::new` must not panic; if it opens, reads must not panic,
//! `get` and `iter` must agree, and an append must work and survive a reopen.
//!
//! Input: byte 0 = option knobs (see `common::options`), byte 1 bit 0 = fix up the CRC
//! of every frame-looking header, the rest = frames.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let [knobs, fix, frames @ ..] = data else {
        return;
    };
    let mut frames = frames.to_vec();
    if fix & 1 != 0 {
        common::fix_frame_crcs(&mut frames);
    }
    let dir = common::temp_dir();
    let root = dir.path().join("wal");
    let stream_dir = root.join(common::STREAM);
    std::fs::create_dir_all(&stream_dir).unwrap();
    let mut file = common::segment_header(0);
    file.extend_from_slice(&frames);
    std::fs::write(stream_dir.join(format!("{:020}.wal", 0)), &file).unwrap();
    let opts = common::options(&root, *knobs);
    if let Ok(wal) = ironwal::Wal::new(opts.clone()) {
        common::read_everything_and_append(wal, &opts);
    }
});
