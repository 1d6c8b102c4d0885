//! A real browser as a client: headless Chromium opens the demo page, whose
//! `EventSource` reads a topic that the server cuts every 10 events
//! (`drop_after`). The browser must reconnect with `Last-Event-ID` each
//! time and miss nothing, while the test keeps publishing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use sseload_server::{CorsOrigin, Hub, NewEvent};

use crate::support::{Sse, metric, quiet, start};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Events the page must see, across several cut connections.
const WANTED: u64 = 60;

/// Chromium needs seconds to start; give the whole exchange a minute.
const BROWSER_DEADLINE: Duration = Duration::from_secs(60);

#[allow(clippy::print_stderr)]
fn chromium_or_skip() -> Option<&'static Path> {
    let path = Path::new(CHROMIUM);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{CHROMIUM} is missing and CI is set"
    );
    eprintln!("skipped: {CHROMIUM} not found (install the Debian package `chromium`)");
    None
}

/// A fresh profile directory, removed on drop.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("sseload-chromium-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        // A helper process of the browser may still be exiting and writing;
        // a few passes clear what it leaves.
        for _ in 0..5 {
            if std::fs::remove_dir_all(&self.0).is_ok() || !self.0.exists() {
                return;
            }
        }
    }
}

/// Headless Chromium, killed when dropped. Its helper processes (zygote,
/// renderers, crash handler) exit by themselves when the browser is gone.
struct Browser(tokio::process::Child);

impl Browser {
    fn open(chromium: &Path, profile: &Profile, url: &str) -> Self {
        let child = tokio::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium starts");
        Self(child)
    }

    /// Kills the browser (by its own pid only) and waits for it to exit.
    async fn close(mut self) {
        let _ = self.0.kill().await;
    }
}

/// Opens the demo page of `page_addr` streaming `src` while the test publishes
/// to topic `browser` of `hub`; returns what the page reported (`{"ids", "errors"}`).
async fn page_report(chromium: &Path, page_addr: SocketAddr, hub: Hub, src: &str) -> Value {
    let mut report = Sse::open(page_addr, "/topics/report", &[]).await;
    let publisher = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_millis(20));
        for n in 0.. {
            ticker.tick().await;
            hub.publish("browser", &[NewEvent::new(format!("n{n}"))])
                .unwrap();
        }
    });
    let profile = Profile::new();
    let src: String = url::form_urlencoded::byte_serialize(src.as_bytes()).collect();
    let page = format!("http://{page_addr}/?src={src}&report=report&count={WANTED}");
    let browser = Browser::open(chromium, &profile, &page);
    let seen = tokio::time::timeout(BROWSER_DEADLINE, report.next_event())
        .await
        .expect("the page reported");
    publisher.abort();
    browser.close().await;
    assert_eq!(seen.event_type(), "seen");
    serde_json::from_str(seen.data()).unwrap()
}

/// The page saw `WANTED` events in order, without a gap or a duplicate,
/// across at least `WANTED / 10 - 1` reconnects.
fn assert_no_loss(seen: &Value) {
    let ids: Vec<u64> = seen["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, WANTED);
    let first = ids[0];
    assert_eq!(
        ids,
        (first..first + WANTED).collect::<Vec<_>>(),
        "a gap or a duplicate across reconnects"
    );
    let reconnects = seen["errors"].as_u64().unwrap();
    assert!(
        reconnects >= WANTED / 10 - 1,
        "only {reconnects} reconnects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_event_source_resumes_without_loss() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let server = start(quiet().retry(Some(Duration::from_millis(100)))).await;
    let addr = server.local_addr();
    let hub = server.hub().clone();
    let seen = page_report(chromium, addr, hub, "/topics/browser?drop_after=10").await;
    assert_no_loss(&seen);
    // The server saw Last-Event-ID on each reconnect.
    assert!(metric(addr, "sseload_server_resumes_total").await >= WANTED / 10 - 1);
}

/// A page from one origin (the first server) reads a stream from another
/// (a second server on another port) that allows it by CORS, reconnects
/// included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_event_source_reads_another_origin_allowed_by_cors() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let page_server = start(quiet()).await;
    let page_addr = page_server.local_addr();
    let origin = CorsOrigin::new(&format!("http://{page_addr}"));
    let builder = quiet().retry(Some(Duration::from_millis(100)));
    let stream_server = start(builder.cors_origin(Some(origin))).await;
    let stream_addr = stream_server.local_addr();
    let src = format!("http://{stream_addr}/topics/browser?drop_after=10");
    let hub = stream_server.hub().clone();
    let seen = page_report(chromium, page_addr, hub, &src).await;
    assert_no_loss(&seen);
    assert!(metric(stream_addr, "sseload_server_resumes_total").await >= WANTED / 10 - 1);
}
