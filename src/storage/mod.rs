//! Files: the file-system seam, frame scanning, the LRU of open segments and the cache
//! of decoded frames. Nothing here knows stream names.

pub(crate) mod block_cache;
pub(crate) mod chunk_reader;
#[cfg(test)]
pub(crate) mod counting_vfs;
pub(crate) mod open_segments;
pub(crate) mod root_lock;
pub(crate) mod scan;
pub(crate) mod segment_map;
#[cfg(test)]
pub(crate) mod sim_fs;
pub(crate) mod vfs;
