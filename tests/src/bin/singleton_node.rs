//! One replica for the etcd suites: a tree whose singleton child holds a
//! lease on a key in etcd and, while it holds it, makes a write fenced by
//! its token every 50 ms. Every step is a line on stdout, for the suite to
//! read: `<unix ms> begin <token>`, `<unix ms> write <token> ok|refused|error`,
//! `<unix ms> end <token>`.
//!
//! `singleton_node <endpoints, comma-separated> <key> <ttl ms> <hold ms>`:
//! with a hold of 0 the child runs until it is stopped; otherwise it
//! returns after holding that long, and campaigns again (it is permanent).

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use etcd_client::{Client, Txn, TxnOp};
use supervisor_core::lease::{EtcdLease, Singleton};
use supervisor_core::{ChildSpec, Ctx, Intensity, Shutdown, SupervisorSpec};

/// Prints a line, stamped with the wall clock, shared by every process.
fn say(line: &str) {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    println!("{ms} {line}");
}

/// Says the run ended when the child's future is gone, however it goes.
struct Ends(u64);

impl Drop for Ends {
    fn drop(&mut self) {
        say(&format!("end {}", self.0));
    }
}

async fn run(ctx: Ctx, client: Client, key: String, hold: Duration) -> Result<(), String> {
    let fence = ctx.fence().ok_or("a singleton runs holding its lease")?;
    let token = fence.token();
    say(&format!("begin {token}"));
    let _ends = Ends(token);
    let until = (!hold.is_zero()).then(|| tokio::time::Instant::now() + hold);
    loop {
        tokio::select! {
            () = ctx.cancelled() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        if until.is_some_and(|until| tokio::time::Instant::now() >= until) {
            return Ok(());
        }
        let write = Txn::new().when([fence.etcd_compare()]).and_then([TxnOp::put(
            format!("{key}/data"),
            token.to_string(),
            None,
        )]);
        let outcome = match client.clone().txn(write).await {
            Ok(answer) if answer.succeeded() => "ok",
            Ok(_) => "refused",
            Err(_) => "error",
        };
        say(&format!("write {token} {outcome}"));
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoints, key, ttl, hold] = &args[..] else {
        eprintln!("usage: singleton_node <endpoints> <key> <ttl ms> <hold ms>");
        return ExitCode::FAILURE;
    };
    let (Ok(ttl), Ok(hold)) = (ttl.parse::<u64>(), hold.parse::<u64>()) else {
        eprintln!("the TTL and the hold are whole milliseconds");
        return ExitCode::FAILURE;
    };
    let endpoints: Vec<&str> = endpoints.split(',').collect();
    let etcd = match EtcdLease::connect(&endpoints, None).await {
        Ok(etcd) => etcd.call_timeout(Duration::from_millis(300)),
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(client) = Client::connect(&endpoints, None).await else {
        eprintln!("could not connect to etcd for the fenced writes");
        return ExitCode::FAILURE;
    };
    let lease = Singleton::new(key.as_str())
        .ttl(Duration::from_millis(ttl))
        .renew_every(Duration::from_millis(500))
        .margin(Duration::from_millis(500))
        .store(etcd);
    let (key, hold) = (key.clone(), Duration::from_millis(hold));
    let child = ChildSpec::worker("cron", move |ctx| run(ctx, client.clone(), key.clone(), hold))
        .shutdown(Shutdown::Timeout(Duration::from_millis(500)))
        .singleton(lease);
    let tree = SupervisorSpec::builder("node").intensity(Intensity::new(100, Duration::from_secs(1))).child(child);
    let running = match tree.build() {
        Ok(spec) => spec.start().await,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    match running {
        Ok(running) => running.run_until_signal(Duration::from_secs(5)).await.exit_code(),
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
