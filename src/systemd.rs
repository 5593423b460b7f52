//! systemd's readiness protocol (`sd_notify`), for `Type=notify` units.
//!
//! systemd starts units that depend on musicagg, and reports `systemctl
//! start` as done, only once the service says `READY=1`: `serve` says it
//! after its listeners are bound and start-up recovery is over, so a client
//! started after it connects at once. `STOPPING=1` tells systemd that the
//! stop it sees is the one it asked for.
//!
//! The protocol is one datagram of `KEY=VALUE` lines sent to the unix socket
//! named by `$NOTIFY_SOCKET` (a path, or an abstract name written with a
//! leading `@`). That is a few lines of std, so no crate: without the
//! variable (not under systemd) nothing is sent.

use std::io;
use std::os::unix::net::UnixDatagram;

/// The variable systemd sets for a `Type=notify` service.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Tells systemd the service is ready (listeners bound, recovery done).
pub fn ready() {
    report("READY=1\nSTATUS=serving");
}

/// Tells systemd the service is shutting down, as asked.
pub fn stopping() {
    report("STOPPING=1\nSTATUS=stopping");
}

/// Sends `state` when `$NOTIFY_SOCKET` is set; a failure is logged, never
/// fatal (the service works the same without systemd's bookkeeping).
fn report(state: &str) {
    let Some(socket) = std::env::var_os(NOTIFY_SOCKET) else {
        return;
    };
    let socket = socket.to_string_lossy();
    match send(&socket, state) {
        Ok(()) => tracing::debug!(state, "told systemd"),
        Err(e) => tracing::warn!(error = %e, socket = %socket, "could not notify systemd"),
    }
}

/// One datagram with `state` to `socket` (a path, or `@name`: abstract).
pub fn send(socket: &str, state: &str) -> io::Result<()> {
    let sender = UnixDatagram::unbound()?;
    let sent = match socket.strip_prefix('@') {
        Some(name) => send_abstract(&sender, name, state)?,
        None if socket.starts_with('/') => sender.send_to(state.as_bytes(), socket)?,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{NOTIFY_SOCKET}={socket:?} is neither an absolute path nor @name"),
            ));
        }
    };
    if sent == state.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the notification was cut short",
        ))
    }
}

#[cfg(target_os = "linux")]
fn send_abstract(sender: &UnixDatagram, name: &str, state: &str) -> io::Result<usize> {
    use std::os::linux::net::SocketAddrExt;
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    sender.send_to_addr(state.as_bytes(), &address)
}

#[cfg(not(target_os = "linux"))]
fn send_abstract(_: &UnixDatagram, name: &str, _: &str) -> io::Result<usize> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("abstract socket @{name} exists only on Linux"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 256];
        let n = socket.recv(&mut buf).expect("a datagram");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn a_path_socket_gets_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        send(path.to_str().unwrap(), "READY=1").unwrap();
        assert_eq!(received(&socket), "READY=1");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_abstract_socket_is_named_with_an_at_sign() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("musicagg-test-{}", uuid::Uuid::new_v4());
        let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&address).unwrap();
        send(&format!("@{name}"), "STOPPING=1").unwrap();
        assert_eq!(received(&socket), "STOPPING=1");
    }

    #[test]
    fn a_relative_name_or_no_listener_is_an_error_not_a_panic() {
        assert_eq!(
            send("notify", "READY=1").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nobody-here");
        assert!(send(missing.to_str().unwrap(), "READY=1").is_err());
    }
}
