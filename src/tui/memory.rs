//! The dashboard's memory over a long session. glibc's malloc gives each thread that contends for it an arena of
//! its own, and memory freed in an arena stays with it for that arena's next allocations. SQLite's sorts and
//! groupings on sqlx's connection threads allocate and free megabytes at a time, each thread in its own arena, so
//! a dashboard at a million codes held 90-110 MB after its heaviest reads, most of it free; with one arena the
//! threads reuse each other's freed memory (60-63 MB, and 34 MB instead of 51-56 MB after the sorts by use; see
//! BENCHMARKS.md). The dashboard's few threads rarely allocate at the same moment, so sharing costs no time
//! measured.

/// Sets malloc for the dashboard's process: call before the runtime and the database's threads start.
pub fn keep_memory_low() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of malloc; one it does not know is refused with 0, changing nothing.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
