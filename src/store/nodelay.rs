//! `TCP_NODELAY` on the PostgreSQL connections. sqlx 0.9.0 stopped setting it (sqlx issue #4335), so the last part
//! of a statement larger than one TCP segment waits for the server's delayed acknowledgement, 40 ms on Linux,
//! before it leaves: every batch of a bulk insert on loopback (segments of 64 KB), and on a real network any
//! statement over about 1.4 KB. sqlx gives no access to its sockets, so after each connection is made, the
//! process's sockets connected to the server's port get the option; one that has it already is unchanged.

use std::mem::size_of;

/// Sets `TCP_NODELAY` on every TCP socket of this process whose peer's port is `port`.
pub fn to_port(port: u16) {
    for fd in sockets_to(port) {
        let on: libc::c_int = 1;
        // SAFETY: setsockopt reads `on` for the given length; on a descriptor that was closed meanwhile it fails
        // and changes nothing, and the failure is of no interest.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

/// The descriptors of this process that are sockets connected to `port`.
fn sockets_to(port: u16) -> Vec<libc::c_int> {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd").or_else(|_| std::fs::read_dir("/dev/fd")) else {
        return Vec::new();
    };
    let fds = fds.flatten().filter_map(|entry| entry.file_name().to_str()?.parse::<libc::c_int>().ok());
    fds.filter(|fd| peer_port(*fd) == Some(port)).collect()
}

/// The port at the other end of `fd`, if it is a connected IPv4 or IPv6 socket.
fn peer_port(fd: libc::c_int) -> Option<u16> {
    // SAFETY: sockaddr_storage is plain data, valid when zeroed.
    let mut address: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut length = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: getpeername writes at most `length` bytes into `address`, which is that large.
    let got = unsafe { libc::getpeername(fd, (&mut address as *mut libc::sockaddr_storage).cast(), &mut length) };
    if got != 0 {
        return None;
    }
    match libc::c_int::from(address.ss_family) {
        // SAFETY: the family says which address type the storage holds; both fit in sockaddr_storage.
        libc::AF_INET => Some(u16::from_be(unsafe { *(&address as *const _ as *const libc::sockaddr_in) }.sin_port)),
        libc::AF_INET6 => Some(u16::from_be(unsafe { *(&address as *const _ as *const libc::sockaddr_in6) }.sin6_port)),
        _ => None,
    }
}

/// Each socket of this process connected to `port`, and whether it has `TCP_NODELAY` (for tests).
#[cfg(test)]
pub fn connected_to(port: u16) -> Vec<(libc::c_int, bool)> {
    let with_option = |fd: libc::c_int| {
        let mut value: libc::c_int = 0;
        let mut length = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `length` bytes into `value`.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&mut value as *mut libc::c_int).cast(),
                &mut length,
            )
        };
        (fd, got == 0 && value != 0)
    };
    sockets_to(port).into_iter().map(with_option).collect()
}
