//! The `hancup` executable: tunes the allocator, then hands over to `cli::run`; nothing else.

fn main() {
    limit_malloc_arenas();
    std::process::exit(hancup::cli::run());
}

/// glibc gives every thread that allocates its own arena (up to 8 per core), and after the
/// first large free it raises its mmap threshold so later 19 MiB password-hash buffers stay
/// resident in an arena. For a server that multiplies resident memory for nothing: two arenas,
/// and buffers of 1 MiB or more always mapped and returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only adjusts allocator tuning and is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
