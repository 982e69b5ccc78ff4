//! Progress for long CLI work (`seed`, `backup`, `restore`, `loaddata`), drawn on stderr only
//! when it is a terminal: nothing reaches a pipe, a log file or cron mail. A bar follows a file
//! growing towards a known size (a backup being written, a restore being copied); work done in
//! one transaction with no measurable total (`seed`, `loaddata`) gets a spinner with the elapsed
//! time. A watcher thread polls; the work itself is not slowed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar or spinner on stderr until `finish`.
pub struct Progress {
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    watcher: Option<JoinHandle<()>>,
}

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

impl Progress {
    /// A bar for `file` growing towards `total` bytes.
    pub fn file(label: &str, file: PathBuf, total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total.max(1)), target());
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({elapsed}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (bar, stop) = (bar.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(meta) = std::fs::metadata(&file) {
                        bar.set_position(meta.len().min(total));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Progress {
            bar,
            stop,
            watcher: Some(watcher),
        }
    }

    /// A spinner with the elapsed time, for work whose total cannot be measured.
    pub fn spinner(label: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
        );
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress {
            bar,
            stop: Arc::new(AtomicBool::new(true)),
            watcher: None,
        }
    }

    /// Removes the bar (the command prints its own summary line).
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        self.bar.finish_and_clear();
    }
}
