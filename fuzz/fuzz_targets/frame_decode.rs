//! Frame decoding without the scan's filter: the fuzz input is the frame region of a
//! *sealed* segment whose (valid) `.idx` file says one frame at the first data offset
//! holds ids `0..count`, so every `get` hands the arbitrary bytes straight to the frame
//! checks and the decoder (LZ4 included). Nothing may panic or allocate without bound.
//!
//! Input: byte 0 = option knobs (see `common::options`), byte 1 = count claimed by the
//! index (1..=256), byte 2 bit 0 = fix up frame CRCs, the rest = frame bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let [knobs, count, fix, frames @ ..] = data else {
        return;
    };
    let mut frames = frames.to_vec();
    if fix & 1 != 0 {
        common::fix_frame_crcs(&mut frames);
    }
    let count = *count as u64 + 1;
    let dir = common::temp_dir();
    let root = dir.path().join("wal");
    let stream_dir = root.join(common::STREAM);
    std::fs::create_dir_all(&stream_dir).unwrap();
    // Sealed segment 0: header + fuzz bytes, described by a valid index.
    let mut sealed = common::segment_header(0);
    let data_start = sealed.len() as u64;
    sealed.extend_from_slice(&frames);
    let index = common::frame_index(0, sealed.len() as u64, count, &[(0, data_start)]);
    std::fs::write(stream_dir.join(format!("{:020}.wal", 0)), &sealed).unwrap();
    std::fs::write(stream_dir.join(format!("{:020}.idx", 0)), &index).unwrap();
    // Active segment `count`: just a header.
    std::fs::write(
        stream_dir.join(format!("{count:020}.wal")),
        common::segment_header(count),
    )
    .unwrap();
    let opts = common::options(&root, *knobs);
    let wal = ironwal::Wal::new(opts.clone()).expect("sealed segments are not read on open");
    common::read_everything_and_append(wal, &opts);
});
