//! A progress bar on stderr for long checks, drawn only when stderr is a terminal and
//! the work is large.

use std::io::Write;

/// Less than this is checked too fast to need a bar.
const MIN_BYTES: u64 = 64 << 20;
const WIDTH: u64 = 30;

pub struct ProgressBar {
    enabled: bool,
    /// The percentage drawn last, while a bar is on screen.
    drawn: Option<u64>,
}

impl ProgressBar {
    pub fn on_stderr() -> ProgressBar {
        // SAFETY: isatty only inspects the descriptor.
        let terminal = unsafe { libc::isatty(libc::STDERR_FILENO) } == 1;
        ProgressBar {
            enabled: terminal,
            drawn: None,
        }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || total < MIN_BYTES {
            return;
        }
        let percent = done.min(total) * 100 / total;
        if self.drawn != Some(percent) {
            self.drawn = Some(percent);
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r{}", line(done, total));
            let _ = stderr.flush();
        }
    }

    /// Erases the bar.
    pub fn finish(&mut self) {
        if self.drawn.take().is_some() {
            eprint!("\r\x1b[2K");
        }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.finish();
    }
}

fn line(done: u64, total: u64) -> String {
    let done = done.min(total);
    let filled = (done * WIDTH / total) as usize;
    format!(
        "checking [{}{}] {:3}% {}/{} MiB",
        "#".repeat(filled),
        "-".repeat(WIDTH as usize - filled),
        done * 100 / total,
        done >> 20,
        total >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn bar_fills_with_the_work_done() {
        assert_eq!(
            line(0, 100 << 20),
            format!("checking [{}]   0% 0/100 MiB", "-".repeat(30))
        );
        assert_eq!(
            line(50 << 20, 100 << 20),
            format!(
                "checking [{}{}]  50% 50/100 MiB",
                "#".repeat(15),
                "-".repeat(15)
            )
        );
        assert_eq!(
            line(200, 100),
            format!("checking [{}] 100% 0/0 MiB", "#".repeat(30))
        );
    }
}
