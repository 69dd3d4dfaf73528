//! etcd servers on loopback, each in a temporary directory, killed when
//! dropped: one member, or a three-member cluster.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One etcd member.
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) client_url: String,
    pub(crate) process: Child,
}

/// A cluster of members, stopped and removed when dropped.
pub(crate) struct Cluster {
    pub(crate) members: Vec<Member>,
    dir: PathBuf,
}

/// The etcd server binary, if this machine has one.
fn etcd_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join("etcd"))
        .find(|candidate| candidate.is_file())
}

/// A port free on loopback now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

impl Cluster {
    /// Starts `size` members on loopback; `None` (with the reason printed)
    /// if there is no etcd to start. Under `CI=true` that is a failure.
    pub(crate) async fn start(size: usize) -> Option<Cluster> {
        let Some(etcd) = etcd_binary() else {
            let reason = "no `etcd` binary (Debian: apt install etcd-server)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "the etcd suite could not run: {reason}");
            eprintln!("skipped: {reason}");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("supervisor-etcd-{}-{}", std::process::id(), free_port()));
        let peers: Vec<(String, String, String)> = (0..size)
            .map(|i| {
                let name = format!("m{i}");
                (name, format!("http://127.0.0.1:{}", free_port()), format!("http://127.0.0.1:{}", free_port()))
            })
            .collect();
        let initial: Vec<String> = peers.iter().map(|(name, peer, _)| format!("{name}={peer}")).collect();
        let initial = initial.join(",");
        let token = format!("supervisor-test-{}", free_port());
        let members = peers
            .into_iter()
            .map(|(name, peer, client)| {
                let data = dir.join(&name);
                std::fs::create_dir_all(&data).expect("a data directory");
                let log = std::fs::File::create(dir.join(format!("{name}.log"))).expect("a log file");
                let process = Command::new(&etcd)
                    .args(["--name", &name, "--data-dir"])
                    .arg(&data)
                    .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
                    .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
                    .args(["--initial-cluster", &initial, "--initial-cluster-state", "new"])
                    .args(["--initial-cluster-token", &token])
                    .args(["--heartbeat-interval", "100", "--election-timeout", "1000"])
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()
                    .expect("etcd starts");
                Member { name, client_url: client, process }
            })
            .collect();
        let cluster = Cluster { members, dir };
        cluster.wait_healthy().await;
        Some(cluster)
    }

    pub(crate) fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// Waits until every member answers a read.
    async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for member in &self.members {
            loop {
                assert!(Instant::now() < deadline, "etcd member {} did not become healthy", member.name);
                let url = [member.client_url.as_str()];
                if let Ok(mut client) = etcd_client::Client::connect(url, None).await {
                    let read = tokio::time::timeout(Duration::from_secs(1), client.get("health", None)).await;
                    if matches!(read, Ok(Ok(_))) {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// The member that leads the cluster now.
    pub(crate) async fn leader(&self) -> usize {
        for _ in 0..50 {
            for (index, member) in self.members.iter().enumerate() {
                let Ok(mut client) = etcd_client::Client::connect([member.client_url.as_str()], None).await else {
                    continue;
                };
                if let Ok(status) = client.status().await {
                    if status.header().is_some_and(|h| h.member_id() == status.leader()) {
                        return index;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no etcd member leads the cluster");
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to a member.
    pub(crate) fn signal(&self, member: usize, signal: &str) {
        crate::nodes::signal(self.members[member].process.id(), signal);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for member in &mut self.members {
            let _ = member.process.kill();
            let _ = member.process.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
