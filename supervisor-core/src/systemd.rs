//! Telling systemd how the tree is doing (cargo feature `systemd`, Unix
//! only): the `sd_notify` protocol, one datagram per state, to the socket
//! systemd names in `$NOTIFY_SOCKET`.

use std::ffi::OsStr;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::handle::SupervisorHandle;
use crate::running::RunningSupervisor;

/// A connection to systemd's notify socket.
///
/// ```no_run
/// use supervisor_core::systemd::Notifier;
///
/// # fn main() -> std::io::Result<()> {
/// // `None` when the process was not started by systemd as `Type=notify`.
/// if let Some(notifier) = Notifier::from_env()? {
///     notifier.notify("STATUS=warming up")?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// The notifier systemd asked for in the environment: `NOTIFY_SOCKET`,
    /// and `WATCHDOG_USEC` when `WATCHDOG_PID` is unset or this process.
    /// `Ok(None)` when `NOTIFY_SOCKET` is unset.
    ///
    /// # Errors
    /// If the socket cannot be addressed or opened.
    pub fn from_env() -> io::Result<Option<Notifier>> {
        let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
            return Ok(None);
        };
        let var = |name| std::env::var(name).ok();
        let watchdog = watchdog_interval(var("WATCHDOG_USEC").as_deref(), var("WATCHDOG_PID").as_deref());
        Notifier::new(socket, watchdog).map(Some)
    }

    /// A notifier for the datagram socket at `socket` (a path, or on Linux
    /// `@name` for an abstract socket), expecting a watchdog ping at least
    /// every `watchdog`.
    ///
    /// # Errors
    /// If the socket cannot be addressed or opened.
    pub fn new(socket: impl AsRef<OsStr>, watchdog: Option<Duration>) -> io::Result<Notifier> {
        let addr = address(socket.as_ref())?;
        let socket = UnixDatagram::unbound()?;
        // A full socket buffer drops a message rather than block the runtime.
        socket.set_nonblocking(true)?;
        Ok(Notifier { socket, addr, watchdog })
    }

    /// Sends one state, such as `READY=1` or `STATUS=...`.
    ///
    /// # Errors
    /// If the datagram cannot be sent.
    pub fn notify(&self, state: &str) -> io::Result<()> {
        self.socket.send_to_addr(state.as_bytes(), &self.addr).map(drop)
    }

    /// How often systemd wants to hear `WATCHDOG=1`, if it does.
    #[must_use]
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    fn send(&self, state: &str) {
        if let Err(error) = self.notify(state) {
            tracing::warn!(%error, state, "could not notify systemd");
        }
    }
}

fn address(socket: &OsStr) -> io::Result<SocketAddr> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = socket.as_encoded_bytes().strip_prefix(b"@") {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        return SocketAddr::from_abstract_name(name);
    }
    SocketAddr::from_pathname(socket)
}

/// `WATCHDOG_USEC` as a duration, if it is meant for this process.
fn watchdog_interval(usec: Option<&str>, pid: Option<&str>) -> Option<Duration> {
    if pid.is_some_and(|pid| pid.parse() != Ok(std::process::id())) {
        return None;
    }
    usec?.parse().ok().filter(|&usec| usec > 0).map(Duration::from_micros)
}

/// A tree reporting to systemd, from
/// [`RunningSupervisor::notify_systemd`]. Dropping it stops the watchdog
/// pings.
#[derive(Debug)]
pub struct SystemdSession {
    notifier: Arc<Notifier>,
    watchdog: Option<JoinHandle<()>>,
}

impl SystemdSession {
    /// Tells systemd the service is beginning to shut down (`STOPPING=1`).
    pub fn stopping(&self) {
        self.notifier.send("STOPPING=1");
    }

    /// A free-form status line for `systemctl status` (`STATUS=...`).
    pub fn status(&self, status: &str) {
        self.notifier.send(&format!("STATUS={status}"));
    }
}

impl Drop for SystemdSession {
    fn drop(&mut self) {
        if let Some(watchdog) = &self.watchdog {
            watchdog.abort();
        }
    }
}

impl RunningSupervisor {
    /// Tells systemd the tree has started (`READY=1`) and, if it asked for
    /// a watchdog, sends `WATCHDOG=1` at half its interval for as long as
    /// the top supervisor's loop answers. A loop that stops answering, or
    /// has ended, stops the pings, so systemd's watchdog acts.
    ///
    /// [`run_until_signal`](RunningSupervisor::run_until_signal) does this
    /// by itself when `NOTIFY_SOCKET` is set, and sends `STOPPING=1` when
    /// shutdown begins.
    ///
    /// ```no_run
    /// use supervisor_core::systemd::Notifier;
    /// use supervisor_core::{ChildSpec, Ctx, SupervisorSpec};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let spec = SupervisorSpec::builder("app")
    ///     .child(ChildSpec::worker("idle", |ctx: Ctx| async move { ctx.cancelled().await }))
    ///     .build()?;
    /// let running = spec.start().await?;
    /// let systemd = Notifier::from_env()?.map(|notifier| running.notify_systemd(notifier));
    /// // ... later, on the way out:
    /// if let Some(systemd) = &systemd {
    ///     systemd.stopping();
    /// }
    /// running.shutdown().await?;
    /// # Ok(()) }
    /// ```
    #[must_use = "dropping the session stops the watchdog pings"]
    pub fn notify_systemd(&self, notifier: Notifier) -> SystemdSession {
        let notifier = Arc::new(notifier);
        notifier.send("READY=1");
        let watchdog = notifier.watchdog.map(|interval| tokio::spawn(feed(self.handle(), notifier.clone(), interval)));
        SystemdSession { notifier, watchdog }
    }

    /// The session systemd asked for in the environment, if any.
    pub(crate) fn systemd_from_env(&self) -> Option<SystemdSession> {
        match Notifier::from_env() {
            Ok(notifier) => notifier.map(|notifier| self.notify_systemd(notifier)),
            Err(error) => {
                tracing::warn!(%error, "NOTIFY_SOCKET is set but cannot be used");
                None
            }
        }
    }
}

/// Sends `WATCHDOG=1` every `interval / 2` while the loop behind `handle`
/// answers within that time; ends when the loop has ended.
async fn feed(handle: SupervisorHandle, notifier: Arc<Notifier>, interval: Duration) {
    let period = interval / 2;
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match tokio::time::timeout(period, handle.count_children()).await {
            Ok(Ok(_)) => notifier.send("WATCHDOG=1"),
            Ok(Err(_)) => return,
            Err(_) => tracing::warn!(supervisor = handle.path(), "supervisor loop not answering: no watchdog ping"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_interval_is_for_this_process_only() {
        let me = std::process::id().to_string();
        assert_eq!(watchdog_interval(Some("3000000"), None), Some(Duration::from_secs(3)));
        assert_eq!(watchdog_interval(Some("3000000"), Some(&me)), Some(Duration::from_secs(3)));
        assert_eq!(watchdog_interval(Some("3000000"), Some("1")), None);
        assert_eq!(watchdog_interval(Some("0"), None), None);
        assert_eq!(watchdog_interval(Some("soon"), None), None);
        assert_eq!(watchdog_interval(None, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_at_sign_names_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let addr = address(OsStr::new("@sd-test")).unwrap();
        assert_eq!(addr.as_abstract_name(), Some(&b"sd-test"[..]));
        assert_eq!(
            address(OsStr::new("/run/notify")).unwrap().as_pathname(),
            Some(std::path::Path::new("/run/notify"))
        );
    }
}
