//! Recovery in `Wal::new`: torn tails at every byte, zero-filled tails, bit flips in
//! the last frame, in a middle frame and in sealed segments, damaged `.idx` files,
//! `CorruptionPolicy::Error`, and reopen in every sync mode and read strategy.
//!
//! Each case copies a template WAL (built once per test) into a fresh directory,
//! damages it, and reopens it.

mod common;

use common::*;
use ironwal::*;
use std::ops::Range;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

type Content = fn(&str, u64) -> Vec<u8>;

/// 20, 40 or 60 bytes: frames with and without padding.
fn c_mixed(s: &str, id: u64) -> Vec<u8> {
    payload_sized(s, id, 20 + (id as usize % 3) * 20)
}

fn c60(s: &str, id: u64) -> Vec<u8> {
    payload_sized(s, id, 60)
}

#[derive(Clone, Copy, Debug)]
enum Step {
    One,
    Batch(u64),
}

/// Where a frame lies: its segment, ids and byte span. `start` is unknown (None) for
/// the first frame of a segment unless the template computes it.
#[derive(Clone, Debug)]
struct Frame {
    seg: u64,
    ids: Range<u64>,
    start: Option<u64>,
    end: u64,
}

struct Template {
    _tmp: TempDir,
    root: PathBuf,
    stream: &'static str,
    opts: WalOptions,
    frames: Vec<Frame>,
    content: Content,
}

struct Case {
    _tmp: TempDir,
    root: PathBuf,
    o: WalOptions,
}

impl Case {
    fn seg(&self, stream: &str, seg: u64) -> PathBuf {
        self.root.join(stream).join(seg_file(seg))
    }
}

impl Template {
    fn build(
        stream: &'static str,
        base: &WalOptions,
        content: Content,
        steps: &[Step],
    ) -> Template {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("root");
        let mut o = base.clone();
        o.root_path = root.clone();
        let wal = open(&o);
        let dir = root.join(stream);
        let mut frames = Vec::new();
        let mut next = 0u64;
        for step in steps {
            let before = wal.current_segment_start_id(stream);
            let before_len = before.map(|s| file_len(&dir.join(seg_file(s))));
            let ids = match *step {
                Step::One => {
                    assert_eq!(wal.append(stream, &content(stream, next)).unwrap(), next);
                    next..next + 1
                }
                Step::Batch(n) => {
                    let e: Vec<Vec<u8>> = (next..next + n).map(|id| content(stream, id)).collect();
                    let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                    assert_eq!(wal.append_batch(stream, &refs).unwrap(), next..next + n);
                    next..next + n
                }
            };
            next = ids.end;
            let seg = wal.current_segment_start_id(stream).unwrap();
            let end = file_len(&dir.join(seg_file(seg)));
            let start = if Some(seg) == before {
                before_len
            } else {
                None
            };
            frames.push(Frame {
                seg,
                ids,
                start,
                end,
            });
        }
        drop(wal);
        Template {
            _tmp: tmp,
            root,
            stream,
            opts: o,
            frames,
            content,
        }
    }

    fn n(&self) -> u64 {
        self.frames.last().unwrap().ids.end
    }

    fn case(&self) -> Case {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("root");
        copy_dir(&self.root, &root);
        let mut o = self.opts.clone();
        o.root_path = root.clone();
        Case { _tmp: tmp, root, o }
    }

    fn content(&self, id: u64) -> Vec<u8> {
        (self.content)(self.stream, id)
    }

    fn assert_prefix(&self, wal: &Wal, n: u64, ctx: &str) {
        let b = wal.bounds(self.stream).unwrap();
        if n == 0 {
            assert!(b.is_none() || b == Some(0..0), "{ctx}: bounds {b:?}");
        } else {
            assert_eq!(b, Some(0..n), "{ctx}: bounds");
        }
        for id in 0..n {
            assert_eq!(
                wal.get(self.stream, id).unwrap(),
                Some(self.content(id)),
                "{ctx}: get({id})"
            );
        }
        assert_eq!(
            wal.get(self.stream, n).unwrap(),
            None,
            "{ctx}: get({n}) past the end"
        );
        let all = collect(wal, self.stream, 0);
        assert_eq!(all.len() as u64, n, "{ctx}: iter length");
        for (i, v) in all.iter().enumerate() {
            assert_eq!(v, &self.content(i as u64), "{ctx}: iter item {i}");
        }
    }
}

fn base() -> WalOptions {
    opts(Path::new("/unused"))
}

fn plain_steps(n: usize) -> Vec<Step> {
    vec![Step::One; n]
}

/// 6 single appends; the last frame is id 5 (60 bytes).
fn template_single() -> Template {
    Template::build("s", &base(), c_mixed, &plain_steps(6))
}

/// 5 singles then a batch 5..8 as the last frame.
fn template_batch_last() -> Template {
    let mut steps = plain_steps(5);
    steps.push(Step::Batch(3));
    Template::build("b", &base(), c_mixed, &steps)
}

/// max_entries 3, 7 singles: segments 0, 3, 6; the active segment 6 holds one frame
/// whose start is computed from the header length (all entries are 60 bytes).
fn template_rotated() -> Template {
    let mut o = base();
    o.max_entries_per_segment = 3;
    let mut t = Template::build("r", &o, c60, &plain_steps(7));
    // Frame length of a 60-byte entry, measured from a non-first frame.
    let f = t.frames[1].end - t.frames[1].start.unwrap();
    let last = t.frames.last_mut().unwrap();
    assert_eq!(last.seg, 6);
    last.start = Some(last.end - f);
    t
}

fn len_if_exists(p: &Path) -> Option<u64> {
    std::fs::metadata(p).ok().map(|m| m.len())
}

// ---------------------------------------------------------------------------------
// Torn tails
// ---------------------------------------------------------------------------------

fn torn_tail_at_every_length(t: &Template) {
    let last = t.frames.last().unwrap().clone();
    let start = last.start.unwrap();
    let keep = last.ids.start;
    assert!(last.end > start);
    for cut in start..last.end {
        let ctx = format!(
            "stream {:?}, last frame {start}..{}, cut at {cut}",
            t.stream, last.end
        );
        let c = t.case();
        let seg = c.seg(t.stream, last.seg);
        set_len(&seg, cut);
        let wal = open(&c.o);
        match len_if_exists(&seg) {
            Some(len) => assert_eq!(
                len, start,
                "{ctx}: file not cut back to the last complete frame"
            ),
            None => {
                // Only a segment left without any complete frame may be removed.
                let first = t.frames.iter().find(|f| f.seg == last.seg).unwrap();
                assert_eq!(
                    first.ids, last.ids,
                    "{ctx}: a segment with complete frames was deleted"
                );
            }
        }
        t.assert_prefix(&wal, keep, &ctx);
        for id in last.ids.clone() {
            assert_eq!(wal.get(t.stream, id).unwrap(), None, "{ctx}: torn id {id}");
        }
        assert_eq!(
            wal.append(t.stream, &t.content(keep)).unwrap(),
            keep,
            "{ctx}: next id"
        );
        t.assert_prefix(&wal, keep + 1, &ctx);
        let len_after = len_if_exists(&seg);
        drop(wal);
        let wal = open(&c.o);
        assert_eq!(
            len_if_exists(&seg),
            len_after,
            "{ctx}: second reopen changed the file"
        );
        t.assert_prefix(&wal, keep + 1, &format!("{ctx}, second reopen"));
        assert_eq!(
            wal.append(t.stream, &t.content(keep + 1)).unwrap(),
            keep + 1
        );
    }
}

#[test]
fn torn_tail_every_length_single_entry_frame() {
    torn_tail_at_every_length(&template_single());
}

#[test]
fn torn_tail_every_length_batch_frame() {
    torn_tail_at_every_length(&template_batch_last());
}

#[test]
fn torn_tail_every_length_only_frame_of_active_segment() {
    torn_tail_at_every_length(&template_rotated());
}

/// Opens a WAL whose active segment header is damaged. The engine creates segment
/// headers atomically (temp file, fsync, rename), so this is damage rather than a
/// torn tail: open may refuse with `Error::Corruption`, or succeed with every
/// complete entry intact. It must never produce wrong data or a gap in ids.
fn open_with_damaged_header(t: &Template, c: &Case, keep: u64, ctx: &str) {
    match Wal::new(c.o.clone()) {
        Err(e) => assert!(matches!(e, Error::Corruption(_)), "{ctx}: {e:?}"),
        Ok(wal) => {
            for id in 0..keep {
                assert_eq!(
                    wal.get(t.stream, id).unwrap(),
                    Some(t.content(id)),
                    "{ctx}: get({id})"
                );
            }
            let next = wal.bounds(t.stream).unwrap().map(|b| b.end).unwrap_or(0);
            assert!(
                next >= keep,
                "{ctx}: next id {next} would reuse ids below {keep}"
            );
            let id = wal.append(t.stream, &t.content(next)).unwrap();
            assert_eq!(id, next, "{ctx}");
            assert_eq!(wal.get(t.stream, id).unwrap(), Some(t.content(id)), "{ctx}");
        }
    }
}

#[test]
fn damaged_header_of_active_segment_never_yields_wrong_data() {
    let t = template_rotated();
    let header_len = t.frames.last().unwrap().start.unwrap();
    for cut in 0..=header_len {
        let ctx = format!("active segment cut to {cut} of its {header_len}-byte header");
        let c = t.case();
        set_len(&c.seg(t.stream, 6), cut);
        open_with_damaged_header(&t, &c, 6, &ctx);
    }
    for pos in 0..header_len {
        let ctx = format!("active segment header: bit flipped at {pos}");
        let c = t.case();
        flip_bit(&c.seg(t.stream, 6), pos, (pos % 8) as u8);
        open_with_damaged_header(&t, &c, 6, &ctx);
    }
}

#[test]
fn unfinished_header_of_new_active_segment_is_dropped() {
    // A crash (power loss) while a new segment's header was being written: the file
    // is shorter than its header. It holds no frame; Truncate opens with every entry
    // of the previous segments and the next append reuses no id.
    let t = template_rotated();
    let header_len = t.frames.last().unwrap().start.unwrap();
    for cut in 0..header_len {
        let ctx = format!("active segment cut to {cut} of its {header_len}-byte header");
        let c = t.case();
        set_len(&c.seg(t.stream, 6), cut);
        let wal = open(&c.o);
        t.assert_prefix(&wal, 6, &ctx);
        assert_eq!(wal.append(t.stream, &t.content(6)).unwrap(), 6, "{ctx}");
        t.assert_prefix(&wal, 7, &ctx);
        drop(wal);
        let wal = open(&c.o);
        t.assert_prefix(&wal, 7, &format!("{ctx}, second reopen"));
        assert_eq!(wal.append(t.stream, &t.content(7)).unwrap(), 7, "{ctx}");
    }
    // The same with the header zero-filled in place.
    let c = t.case();
    let seg = c.seg(t.stream, 6);
    std::fs::write(&seg, vec![0u8; header_len as usize]).unwrap();
    let wal = open(&c.o);
    t.assert_prefix(&wal, 6, "zero-filled header");
    assert_eq!(wal.append(t.stream, &t.content(6)).unwrap(), 6);
}

#[test]
fn unfinished_header_of_only_segment() {
    for cut in [0u64, 10, 31] {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("root");
        let o = opts(&root);
        {
            let wal = open(&o);
            append_n(&wal, "logs", 1);
        }
        let dir = root.join("logs");
        assert_eq!(segments(&dir), vec![0], "stream directory of logs");
        set_len(&dir.join(seg_file(0)), cut);
        let wal = open(&o);
        assert_eq!(wal.get("logs", 0).unwrap(), None, "cut {cut}");
        assert_eq!(
            wal.append("logs", &payload("logs", 0)).unwrap(),
            0,
            "cut {cut}"
        );
        assert_stream(&wal, "logs", 0..1);
        drop(wal);
        let wal = open(&o);
        assert_stream(&wal, "logs", 0..1);
        assert_eq!(wal.streams(), vec!["logs".to_string()]);
    }
}

/// The only segment left by a truncate starts past 0: with its header cut, its name
/// still says where ids continue, and none is handed out again.
#[test]
fn unfinished_header_of_only_segment_after_a_truncate_keeps_its_start_id() {
    let template = TempDir::new().unwrap();
    let mut o = opts(template.path());
    o.max_entries_per_segment = 6;
    {
        let wal = open(&o);
        append_n(&wal, "s", 15);
        wal.truncate("s", 100).unwrap();
        assert_eq!(wal.bounds("s").unwrap(), Some(12..15));
    }
    // docs/FORMAT.md: a 32-byte header and the stream name, padded to 8.
    let header_len = (32 + "s".len() as u64).next_multiple_of(8);
    for cut in (0..header_len).step_by(3) {
        let tmp = TempDir::new().unwrap();
        copy_dir(template.path(), tmp.path());
        let segment = tmp.path().join("s").join(seg_file(12));
        assert_eq!(segments(&tmp.path().join("s")), vec![12]);
        set_len(&segment, cut);
        o.root_path = tmp.path().to_path_buf();
        let wal = open(&o);
        assert_eq!(wal.bounds("s").unwrap(), Some(12..12), "cut {cut}");
        assert_eq!(wal.append("s", &payload("s", 12)).unwrap(), 12, "cut {cut}");
        drop(wal);
        let wal = open(&o);
        assert_stream(&wal, "s", 12..13);
    }
}

#[test]
fn stale_temp_files_are_ignored() {
    // Left behind by a crash while a segment or an index was being created.
    let t = template_sealed();
    let c = t.case();
    let dir = c.root.join(t.stream);
    std::fs::write(
        dir.join(format!("{}.tmp", seg_file(12))),
        b"IRONWAL\0partial",
    )
    .unwrap();
    std::fs::write(dir.join(format!("{}.tmp", idx_file(8))), [1u8, 2, 3]).unwrap();
    std::fs::write(dir.join(format!("{}.tmp", seg_file(13))), b"").unwrap();
    let wal = open(&c.o);
    t.assert_prefix(&wal, 12, "stale .tmp files");
    assert_eq!(wal.current_segment_start_id(t.stream), Some(8));
    assert_eq!(wal.append(t.stream, &t.content(12)).unwrap(), 12);
    assert_eq!(wal.current_segment_start_id(t.stream), Some(12));
    t.assert_prefix(&wal, 13, "stale .tmp files, after rotation");
    drop(wal);
    let wal = open(&c.o);
    t.assert_prefix(&wal, 13, "stale .tmp files, reopen");
}

// ---------------------------------------------------------------------------------
// Zero-filled tails
// ---------------------------------------------------------------------------------

#[test]
fn zero_filled_tail_is_cut() {
    let t = template_single();
    let last = t.frames.last().unwrap().clone();
    let n = t.n();
    for zeros in [1usize, 7, 8, 32, 100, 4096, 65536] {
        let ctx = format!("{zeros} zero bytes after the last frame");
        let c = t.case();
        let seg = c.seg(t.stream, last.seg);
        append_bytes(&seg, &vec![0u8; zeros]);
        let wal = open(&c.o);
        assert_eq!(file_len(&seg), last.end, "{ctx}: zero tail not cut");
        t.assert_prefix(&wal, n, &ctx);
        assert_eq!(wal.append(t.stream, &t.content(n)).unwrap(), n, "{ctx}");
        t.assert_prefix(&wal, n + 1, &ctx);
        drop(wal);
        let wal = open(&c.o);
        t.assert_prefix(&wal, n + 1, &format!("{ctx}, second reopen"));
    }
}

#[test]
fn torn_frame_followed_by_zeros_is_cut() {
    let t = template_batch_last();
    let last = t.frames.last().unwrap().clone();
    let start = last.start.unwrap();
    for (cut, zeros) in [
        (start + 1, 4096usize),
        (start + 13, 4096),
        (start + 100, 8),
        (start + 40, 100_000),
    ] {
        let ctx = format!("cut at {cut} then {zeros} zeros");
        let c = t.case();
        let seg = c.seg(t.stream, last.seg);
        set_len(&seg, cut);
        append_bytes(&seg, &vec![0u8; zeros]);
        let wal = open(&c.o);
        assert_eq!(file_len(&seg), start, "{ctx}");
        t.assert_prefix(&wal, last.ids.start, &ctx);
        assert_eq!(
            wal.append(t.stream, &t.content(last.ids.start)).unwrap(),
            last.ids.start
        );
    }
}

#[test]
fn last_frame_zeroed_in_place_is_cut() {
    let t = template_single();
    let last = t.frames.last().unwrap().clone();
    let start = last.start.unwrap();
    // Whole frame zeroed, and only its payload zeroed (header intact).
    for from in [start, start + 32, start + 8] {
        let ctx = format!("bytes {from}..{} zeroed", last.end);
        let c = t.case();
        let seg = c.seg(t.stream, last.seg);
        let mut bytes = read_all(&seg);
        for b in &mut bytes[from as usize..last.end as usize] {
            *b = 0;
        }
        std::fs::write(&seg, &bytes).unwrap();
        let wal = open(&c.o);
        assert_eq!(file_len(&seg), start, "{ctx}");
        t.assert_prefix(&wal, last.ids.start, &ctx);
        assert_eq!(wal.append(t.stream, &t.content(5)).unwrap(), 5, "{ctx}");
    }
}

// ---------------------------------------------------------------------------------
// Bit flips
// ---------------------------------------------------------------------------------

/// Positions of a frame where a flip must be detected: all but the last 7 bytes,
/// which may be alignment padding that no checksum covers.
fn must_detect(frame: &Frame, pos: u64) -> bool {
    pos + 7 < frame.end
}

fn bit_flip_in_last_frame(t: &Template) {
    let last = t.frames.last().unwrap().clone();
    let start = last.start.unwrap();
    let keep = last.ids.start;
    let mut detected = 0;
    for pos in start..last.end {
        let ctx = format!(
            "stream {:?}: bit {} flipped at {pos} in last frame {start}..{}",
            t.stream,
            pos % 8,
            last.end
        );
        let c = t.case();
        let seg = c.seg(t.stream, last.seg);
        flip_bit(&seg, pos, (pos % 8) as u8);
        let wal = open(&c.o);
        for id in 0..keep {
            assert_eq!(
                wal.get(t.stream, id).unwrap(),
                Some(t.content(id)),
                "{ctx}: get({id})"
            );
        }
        let got = wal.get(t.stream, last.ids.start).unwrap();
        let next = if got.is_none() {
            detected += 1;
            for id in last.ids.clone() {
                assert_eq!(
                    wal.get(t.stream, id).unwrap(),
                    None,
                    "{ctx}: id {id} of a damaged batch"
                );
            }
            assert_eq!(file_len(&seg), start, "{ctx}: damaged last frame not cut");
            t.assert_prefix(&wal, keep, &ctx);
            keep
        } else {
            assert!(
                !must_detect(&last, pos),
                "{ctx}: damaged last frame read as Ok(Some)"
            );
            for id in last.ids.clone() {
                assert_eq!(
                    wal.get(t.stream, id).unwrap(),
                    Some(t.content(id)),
                    "{ctx}: wrong bytes for {id}"
                );
            }
            last.ids.end
        };
        assert_eq!(wal.bounds(t.stream).unwrap(), Some(0..next), "{ctx}");
        assert_eq!(
            wal.append(t.stream, &t.content(next)).unwrap(),
            next,
            "{ctx}: next id"
        );
        drop(wal);
        let wal = open(&c.o);
        assert_eq!(
            wal.bounds(t.stream).unwrap(),
            Some(0..next + 1),
            "{ctx}, second reopen"
        );
        for id in 0..=next {
            assert_eq!(
                wal.get(t.stream, id).unwrap(),
                Some(t.content(id)),
                "{ctx}, second reopen: get({id})"
            );
        }
        let all = collect(&wal, t.stream, 0);
        assert_eq!(all.len() as u64, next + 1, "{ctx}, second reopen: iter");
    }
    assert!(detected as u64 >= last.end - start - 7);
}

#[test]
fn bit_flip_in_last_frame_single_entry() {
    bit_flip_in_last_frame(&template_single());
}

#[test]
fn bit_flip_in_last_frame_batch() {
    bit_flip_in_last_frame(&template_batch_last());
}

#[test]
fn bit_flip_in_last_frame_only_frame_of_active_segment() {
    bit_flip_in_last_frame(&template_rotated());
}

fn check_damaged_middle(t: &Template, wal: &Wal, frame: &Frame, pos: u64, n: u64, ctx: &str) {
    let strict = must_detect(frame, pos);
    for id in 0..n {
        let r = wal.get(t.stream, id);
        if frame.ids.contains(&id) {
            match r {
                Err(e) if is_corruption(&e) => {}
                Ok(Some(v)) if !strict && v == t.content(id) => {}
                other => panic!("{ctx}: get({id}) of the damaged frame returned {other:?}"),
            }
        } else {
            assert_eq!(r.unwrap(), Some(t.content(id)), "{ctx}: get({id})");
        }
    }
    assert_eq!(wal.bounds(t.stream).unwrap(), Some(0..n), "{ctx}: bounds");
    // Iterating from after the damage reads everything exactly.
    let after = collect(wal, t.stream, frame.ids.end);
    let want: Vec<Vec<u8>> = (frame.ids.end..n).map(|id| t.content(id)).collect();
    assert_eq!(after, want, "{ctx}: iter after the damaged frame");
    // Iterating through it: exact entries before, then an error, never wrong bytes.
    let mut it = wal.iter(t.stream, 0).unwrap();
    for id in 0..frame.ids.start {
        assert_eq!(
            it.next().unwrap().unwrap(),
            t.content(id),
            "{ctx}: iter item {id}"
        );
    }
    match it.next() {
        Some(Err(e)) if is_corruption(&e) => {}
        Some(Ok(v)) if !strict && v == t.content(frame.ids.start) => {}
        other => panic!("{ctx}: iter reached the damaged frame and returned {other:?}"),
    }
}

fn bit_flip_in_middle_frame(t: &Template, which: usize) {
    let frame = t.frames[which].clone();
    let start = frame.start.unwrap();
    let n = t.n();
    let active = t.frames.last().unwrap().seg;
    assert_eq!(
        frame.seg, active,
        "the template's middle frame is in the active segment"
    );
    for pos in start..frame.end {
        let ctx = format!(
            "stream {:?}: bit {} flipped at {pos} in middle frame {start}..{}",
            t.stream,
            pos % 8,
            frame.end
        );
        let c = t.case();
        let seg = c.seg(t.stream, frame.seg);
        flip_bit(&seg, pos, (pos % 8) as u8);
        let total = file_len(&seg);
        let wal = open(&c.o);
        assert_eq!(
            file_len(&seg),
            total,
            "{ctx}: valid frames after damage were cut"
        );
        check_damaged_middle(t, &wal, &frame, pos, n, &ctx);
        // New appends work and read back.
        assert_eq!(
            wal.append(t.stream, &t.content(n)).unwrap(),
            n,
            "{ctx}: next id"
        );
        assert_eq!(wal.get(t.stream, n).unwrap(), Some(t.content(n)), "{ctx}");
        drop(wal);
        let wal = open(&c.o);
        let ctx2 = format!("{ctx}, second reopen");
        check_damaged_middle(t, &wal, &frame, pos, n + 1, &ctx2);
        assert_eq!(wal.get(t.stream, n).unwrap(), Some(t.content(n)), "{ctx2}");
        assert_eq!(
            wal.append(t.stream, &t.content(n + 1)).unwrap(),
            n + 1,
            "{ctx2}"
        );
    }
}

#[test]
fn bit_flip_in_middle_frame_every_byte() {
    // Frames: 0,1,2,3,4 single entries; frame 2 (60 bytes of entry) is damaged.
    bit_flip_in_middle_frame(&template_single(), 2);
}

#[test]
fn bit_flip_in_middle_batch_frame_every_byte() {
    let steps = [Step::One, Step::Batch(3), Step::One, Step::One];
    let t = Template::build("mb", &base(), c_mixed, &steps);
    bit_flip_in_middle_frame(&t, 1);
}

#[test]
fn bit_flip_in_first_frame_of_active_segment() {
    // Damage inside the first frame: its start is the end of the header, which is
    // the first frame's end minus the length of an identical frame.
    let mut o = base();
    o.max_entries_per_segment = 100;
    let t = Template::build("ff", &o, c60, &plain_steps(4));
    let f = t.frames[1].end - t.frames[1].start.unwrap();
    let first = Frame {
        seg: 0,
        ids: 0..1,
        start: Some(t.frames[0].end - f),
        end: t.frames[0].end,
    };
    let n = t.n();
    for pos in [
        first.start.unwrap(),
        first.start.unwrap() + 5,
        first.start.unwrap() + 33,
        first.end - 9,
    ] {
        let ctx = format!("flip at {pos} in the first frame");
        let c = t.case();
        let seg = c.seg(t.stream, 0);
        flip_bit(&seg, pos, 3);
        let total = file_len(&seg);
        let wal = open(&c.o);
        assert_eq!(file_len(&seg), total, "{ctx}");
        check_damaged_middle(&t, &wal, &first, pos, n, &ctx);
        assert_eq!(wal.append(t.stream, &t.content(n)).unwrap(), n);
    }
}

/// max_entries 4, 12 singles: segments 0, 4 (sealed) and 8 (active).
fn template_sealed() -> Template {
    let mut o = base();
    o.max_entries_per_segment = 4;
    Template::build("sealed", &o, c_mixed, &plain_steps(12))
}

#[test]
fn bit_flip_in_sealed_segment() {
    let t = template_sealed();
    let frame = t.frames[5].clone(); // id 5, second frame of segment 4
    assert_eq!(frame.seg, 4);
    let n = t.n();
    let start = frame.start.unwrap();
    assert!(
        t.root.join(t.stream).join(idx_file(4)).exists(),
        "sealed segment 4 has an .idx"
    );
    for pos in start..frame.end {
        let mut c = t.case();
        let drop_idx = pos % 3 == 0;
        if pos % 2 == 1 {
            c.o.read_strategy = ReadStrategy::Mmap;
        }
        if pos % 4 == 1 {
            c.o.block_cache_size = Some(1 << 20);
        }
        let ctx = format!(
            "flip at {pos} in sealed frame {start}..{} (idx deleted: {drop_idx}, {:?}, cache {:?})",
            frame.end, c.o.read_strategy, c.o.block_cache_size
        );
        if drop_idx {
            std::fs::remove_file(c.root.join(t.stream).join(idx_file(4))).unwrap();
        }
        let seg = c.seg(t.stream, 4);
        flip_bit(&seg, pos, (pos % 8) as u8);
        let wal = open(&c.o);
        check_damaged_middle(&t, &wal, &frame, pos, n, &ctx);
        // Twice: a cache must not turn an error into data.
        check_damaged_middle(&t, &wal, &frame, pos, n, &ctx);
        assert_eq!(wal.append(t.stream, &t.content(n)).unwrap(), n);
    }
}

// ---------------------------------------------------------------------------------
// Damaged .idx files
// ---------------------------------------------------------------------------------

#[test]
fn damaged_idx_files_are_rebuilt() {
    let t = template_sealed();
    let n = t.n();
    let dir = t.root.join(t.stream);
    assert_eq!(
        files_with_ext(&dir, "idx"),
        vec![0, 4],
        "sealed segments have .idx files"
    );
    let idx0 = read_all(&dir.join(idx_file(0)));
    let idx4 = read_all(&dir.join(idx_file(4)));
    assert_ne!(idx0, idx4);
    type Damage = Box<dyn Fn(&Path)>;
    let variants: Vec<(&str, Damage)> = vec![
        (
            "deleted",
            Box::new(|d: &Path| {
                std::fs::remove_file(d.join(idx_file(0))).unwrap();
                std::fs::remove_file(d.join(idx_file(4))).unwrap();
            }),
        ),
        (
            "garbled",
            Box::new(|d: &Path| {
                let mut rng = XorShift::new(99);
                for s in [0, 4] {
                    let p = d.join(idx_file(s));
                    let len = file_len(&p) as usize;
                    std::fs::write(&p, rng.bytes(len)).unwrap();
                }
            }),
        ),
        (
            "truncated to half",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    let p = d.join(idx_file(s));
                    set_len(&p, file_len(&p) / 2);
                }
            }),
        ),
        (
            "truncated to zero",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    set_len(&d.join(idx_file(s)), 0);
                }
            }),
        ),
        (
            "last 8 bytes cut",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    let p = d.join(idx_file(s));
                    set_len(&p, file_len(&p) - 8);
                }
            }),
        ),
        (
            "one bit flipped in the middle",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    let p = d.join(idx_file(s));
                    flip_bit(&p, file_len(&p) / 2, 1);
                }
            }),
        ),
        (
            "garbage appended",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    append_bytes(&d.join(idx_file(s)), &[0xAB; 24]);
                }
            }),
        ),
        ("swapped between segments", {
            let (a, b) = (idx0.clone(), idx4.clone());
            Box::new(move |d: &Path| {
                std::fs::write(d.join(idx_file(0)), &b).unwrap();
                std::fs::write(d.join(idx_file(4)), &a).unwrap();
            })
        }),
        ("idx of segment 0 for both", {
            let a = idx0.clone();
            Box::new(move |d: &Path| {
                std::fs::write(d.join(idx_file(4)), &a).unwrap();
            })
        }),
        (
            "zero-filled",
            Box::new(|d: &Path| {
                for s in [0, 4] {
                    let p = d.join(idx_file(s));
                    let len = file_len(&p) as usize;
                    std::fs::write(&p, vec![0u8; len]).unwrap();
                }
            }),
        ),
    ];
    for (name, damage) in &variants {
        for (strategy, cache) in [
            (ReadStrategy::StandardIo, None),
            (ReadStrategy::Mmap, None),
            (ReadStrategy::StandardIo, Some(1 << 20)),
            (ReadStrategy::Mmap, Some(1 << 20)),
        ] {
            let ctx = format!(".idx {name}, {strategy:?}, cache {cache:?}");
            let mut c = t.case();
            c.o.read_strategy = strategy;
            c.o.block_cache_size = cache;
            damage(&c.root.join(t.stream));
            let wal = open(&c.o);
            t.assert_prefix(&wal, n, &ctx);
            // Random access in a scrambled order too.
            for id in [5, 0, 11, 3, 4, 7, 8, 1] {
                assert_eq!(
                    wal.get(t.stream, id).unwrap(),
                    Some(t.content(id)),
                    "{ctx}: get({id})"
                );
            }
            for start in [1, 4, 5, 7, 9] {
                let got = collect(&wal, t.stream, start);
                let want: Vec<Vec<u8>> = (start..n).map(|id| t.content(id)).collect();
                assert_eq!(got, want, "{ctx}: iter from {start}");
            }
            assert_eq!(wal.append(t.stream, &t.content(n)).unwrap(), n, "{ctx}");
            assert_eq!(wal.truncate(t.stream, 4).unwrap(), 1, "{ctx}: truncate");
            drop(wal);
            let wal = open(&c.o);
            assert_eq!(
                wal.bounds(t.stream).unwrap(),
                Some(4..n + 1),
                "{ctx}: reopen"
            );
            for id in 4..=n {
                assert_eq!(
                    wal.get(t.stream, id).unwrap(),
                    Some(t.content(id)),
                    "{ctx}: reopen get({id})"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// CorruptionPolicy::Error
// ---------------------------------------------------------------------------------

fn expect_refused(c: &Case, ctx: &str) {
    let mut o = c.o.clone();
    o.on_corruption = CorruptionPolicy::Error;
    match Wal::new(o) {
        Err(Error::Corruption(msg)) => assert!(!msg.is_empty()),
        Err(e) => panic!("{ctx}: expected Error::Corruption, got {e:?}"),
        Ok(_) => panic!("{ctx}: CorruptionPolicy::Error opened a damaged WAL"),
    }
}

#[test]
fn corruption_policy_error_refuses_damage() {
    let t = template_single();
    let last = t.frames.last().unwrap().clone();
    let (last_start, last_end) = (last.start.unwrap(), last.end);
    let mid_start = t.frames[2].start.unwrap();
    let n = t.n();
    type Damage = Box<dyn Fn(&Path)>;
    // (name, damage, entries a Truncate open keeps; None: middle damage of id 2)
    let damages: Vec<(&str, Damage, Option<u64>)> = vec![
        (
            "torn tail",
            Box::new(move |p: &Path| set_len(p, last_end - 5)),
            Some(5),
        ),
        (
            "torn tail, one byte of the frame",
            Box::new(move |p: &Path| set_len(p, last_start + 1)),
            Some(5),
        ),
        (
            "zero-filled tail",
            Box::new(|p: &Path| append_bytes(p, &[0u8; 4096])),
            Some(6),
        ),
        (
            "bit flip in last frame",
            Box::new(move |p: &Path| flip_bit(p, last_start + 40, 2)),
            Some(5),
        ),
        (
            "bit flip in middle frame payload",
            Box::new(move |p: &Path| flip_bit(p, mid_start + 40, 5)),
            None,
        ),
        (
            "bit flip in middle frame magic",
            Box::new(move |p: &Path| flip_bit(p, mid_start, 0)),
            None,
        ),
        (
            "garbage tail",
            Box::new(|p: &Path| append_bytes(p, &[0x5A; 200])),
            Some(6),
        ),
    ];
    for (name, damage, keep) in &damages {
        let c = t.case();
        let seg = c.seg(t.stream, 0);
        damage(&seg);
        let len = file_len(&seg);
        let bytes = read_all(&seg);
        expect_refused(&c, name);
        assert_eq!(
            file_len(&seg),
            len,
            "{name}: a refused open modified the file"
        );
        assert_eq!(
            read_all(&seg),
            bytes,
            "{name}: a refused open modified the file"
        );
        // The failed open released the lock; Truncate opens it.
        let wal = open(&c.o);
        match keep {
            Some(k) => t.assert_prefix(&wal, *k, name),
            None => {
                for id in [0, 1, 3, 4, 5] {
                    assert_eq!(
                        wal.get(t.stream, id).unwrap(),
                        Some(t.content(id)),
                        "{name}: get({id})"
                    );
                }
                assert!(
                    matches!(wal.get(t.stream, 2), Err(ref e) if is_corruption(e)),
                    "{name}"
                );
                assert_eq!(wal.bounds(t.stream).unwrap(), Some(0..n), "{name}");
            }
        }
        drop(wal);
    }
}

#[test]
fn corruption_policy_error_refuses_unfinished_segment_header() {
    let t = template_rotated();
    for cut in [0u64, 10, 33] {
        let c = t.case();
        set_len(&c.seg(t.stream, 6), cut);
        expect_refused(&c, &format!("active segment cut to {cut} bytes"));
        assert_eq!(
            file_len(&c.seg(t.stream, 6)),
            cut,
            "a refused open modified the file"
        );
        let wal = open(&c.o);
        t.assert_prefix(&wal, 6, "Truncate after a refused open");
    }
}

#[test]
fn corruption_policy_error_accepts_clean_wal() {
    let t = template_sealed();
    let mut c = t.case();
    c.o.on_corruption = CorruptionPolicy::Error;
    {
        let wal = open(&c.o);
        t.assert_prefix(&wal, t.n(), "clean WAL, policy Error");
        assert_eq!(wal.append(t.stream, &t.content(12)).unwrap(), 12);
    }
    // Cut exactly at a frame boundary: a clean file, not damage.
    let t = template_single();
    let mut c = t.case();
    c.o.on_corruption = CorruptionPolicy::Error;
    let last = t.frames.last().unwrap();
    set_len(&c.seg(t.stream, 0), last.start.unwrap());
    let wal = open(&c.o);
    t.assert_prefix(&wal, 5, "cut at a frame boundary, policy Error");
    // idx damage is not data damage: it is rebuilt silently.
    let t = template_sealed();
    let mut c = t.case();
    c.o.on_corruption = CorruptionPolicy::Error;
    std::fs::remove_file(c.root.join(t.stream).join(idx_file(0))).unwrap();
    set_len(&c.root.join(t.stream).join(idx_file(4)), 3);
    let wal = open(&c.o);
    t.assert_prefix(&wal, 12, "idx damaged, policy Error");
}

// ---------------------------------------------------------------------------------
// Reopen in every mode
// ---------------------------------------------------------------------------------

#[test]
fn reopen_in_all_sync_modes_and_read_strategies() {
    for sync in [SyncMode::Strict, SyncMode::BatchOnly, SyncMode::Async] {
        for strategy in [ReadStrategy::StandardIo, ReadStrategy::Mmap] {
            let ctx = format!("{sync:?}/{strategy:?}");
            let tmp = TempDir::new().unwrap();
            let mut o = opts(tmp.path());
            o.sync_mode = sync;
            o.read_strategy = strategy;
            o.max_entries_per_segment = 5;
            {
                let wal = open(&o);
                append_n(&wal, "s", 7);
                let e: Vec<Vec<u8>> = (7..13).map(|id| payload("s", id)).collect();
                let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
                assert_eq!(wal.append_batch("s", &refs).unwrap(), 7..13, "{ctx}");
                let mut w = wal.writer("s");
                w.add(payload("s", 13));
                w.add(payload("s", 14));
                assert_eq!(w.commit().unwrap(), 13..15, "{ctx}");
                append_n(&wal, "s", 3);
                append_n(&wal, "t", 2);
                if matches!(sync, SyncMode::Async) {
                    wal.sync_all().unwrap();
                }
            }
            {
                let wal = open(&o);
                assert_stream(&wal, "s", 0..18);
                assert_stream(&wal, "t", 0..2);
                append_n(&wal, "s", 2);
            }
            // Reopen with the other strategy and sync mode.
            let mut o2 = o.clone();
            o2.read_strategy = match strategy {
                ReadStrategy::StandardIo => ReadStrategy::Mmap,
                ReadStrategy::Mmap => ReadStrategy::StandardIo,
            };
            o2.sync_mode = SyncMode::Async;
            let wal = open(&o2);
            assert_stream(&wal, "s", 0..20);
            assert_stream(&wal, "t", 0..2);
        }
    }
}

/// With `ReadStrategy::Mmap`, reads of the active segment after an open go through the
/// mapping the open's scan made. It must serve what is appended after the open too:
/// over the torn tail the open cut (bytes the mapping saw as garbage) and, in Strict
/// mode, into preallocated free space.
#[test]
fn mmap_reads_after_recovery_see_appends_over_a_cut_tail() {
    for sync in [SyncMode::Async, SyncMode::Strict] {
        let tmp = TempDir::new().unwrap();
        let mut o = opts(tmp.path());
        o.sync_mode = sync;
        o.read_strategy = ReadStrategy::Mmap;
        {
            let wal = open(&o);
            append_n(&wal, "s", 10);
            wal.sync_all().unwrap();
        }
        let seg = tmp.path().join("s").join(seg_file(0));
        let mut garbage = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
        std::io::Write::write_all(&mut garbage, &[0xAB; 300]).unwrap();
        drop(garbage);
        let wal = open(&o);
        assert_stream(&wal, "s", 0..10);
        for round in 1..=3 {
            append_n(&wal, "s", 10);
            assert_stream(&wal, "s", 0..10 + 10 * round);
        }
        drop(wal);
        let wal = open(&o);
        assert_stream(&wal, "s", 0..40);
    }
}

#[test]
fn many_reopen_cycles_with_torn_tails() {
    // Repeated crash-like damage and recovery keeps the stream a dense prefix.
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("root");
    let mut o = opts(&root);
    o.max_entries_per_segment = 7;
    let mut rng = XorShift::new(1234);
    let mut n = 0u64;
    for round in 0..40 {
        let wal = open(&o);
        assert_stream(&wal, "s", 0..n);
        let before_seg = wal.current_segment_start_id("s");
        let before_len = before_seg.map(|s| file_len(&root.join("s").join(seg_file(s))));
        let k = rng.range(1, 5);
        let e: Vec<Vec<u8>> = (n..n + k).map(|id| payload("s", id)).collect();
        let refs: Vec<&[u8]> = e.iter().map(|v| v.as_slice()).collect();
        assert_eq!(wal.append_batch("s", &refs).unwrap(), n..n + k);
        let seg = wal.current_segment_start_id("s").unwrap();
        drop(wal);
        let p = root.join("s").join(seg_file(seg));
        if Some(seg) == before_seg && round % 2 == 0 {
            // Tear the frame just written.
            let start = before_len.unwrap();
            let end = file_len(&p);
            set_len(&p, rng.range(start, end));
        } else {
            n += k;
        }
    }
    let wal = open(&o);
    assert_stream(&wal, "s", 0..n);
}
