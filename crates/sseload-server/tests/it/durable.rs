use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use http::{Method, StatusCode};
use sseload_server::{
    GAP_EVENT, NewEvent, PublishError, RunningServer, ServerBuilder, ServerError, StorageError,
};

use crate::support::{Sse, call, ids, numbered, post, quiet, start, within};

/// An empty directory of this test's own under Cargo's scratch space.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("durable")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn segment(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("segment-{number:020}.log"))
}

fn durable(dir: &Path) -> ServerBuilder {
    quiet().data_dir(dir)
}

async fn try_start(builder: ServerBuilder) -> Result<RunningServer, ServerError> {
    builder
        .build()
        .expect("valid config")
        .start("127.0.0.1:0".parse().unwrap())
        .await
}

fn publish(server: &RunningServer, topic: &str, data: &str) -> Vec<String> {
    server
        .hub()
        .publish(topic, &[NewEvent::new(data)])
        .expect("published")
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

#[tokio::test]
async fn a_restart_resumes_after_last_event_id_with_every_acknowledged_event() {
    let dir = fresh_dir("restart");
    let server = start(durable(&dir)).await;
    let addr = server.local_addr();
    for batch in 0..5 {
        let body = format!(r#"[{{"data":"a{batch}"}},{{"data":"b{batch}","event":"two"}}]"#);
        let (status, _) = post(addr, "t", &body).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = post(addr, "u", r#"{"data":"other","id":"custom"}"#).await;
        assert_eq!(status, StatusCode::OK);
    }
    let report = server.recovery().expect("a data dir").clone();
    assert_eq!((report.events, report.last_id), (0, 0), "a fresh directory");
    server.shutdown().await;

    let server = start(durable(&dir)).await;
    let report = server.recovery().unwrap();
    assert_eq!((report.events, report.topics, report.last_id), (15, 2, 15));
    assert_eq!(report.torn_tail, None);
    let addr = server.local_addr();
    // Topic t holds ids 1,2 4,5 7,8 10,11 13,14; u holds 3 6 9 12 15 (all "custom").
    let mut sse = Sse::open(addr, "/topics/t", &[("last-event-id", "5")]).await;
    let replayed = within(sse.events(6)).await;
    assert_eq!(ids(&replayed), ["7", "8", "10", "11", "13", "14"]);
    assert_eq!(replayed[1].event_type(), "two");
    assert_eq!(replayed[5].data(), "b4");
    let (status, body) = post(addr, "t", r#"{"data":"new"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"ids":["16"]}"#)
    );
    assert_eq!(ids(&[within(sse.next_event()).await]), ["16"]);
    let mut custom = Sse::open(addr, "/topics/u", &[("last-event-id", "custom")]).await;
    publish(&server, "u", "after");
    let next = within(custom.next_event()).await;
    assert_eq!((next.id(), next.data()), ("17", "after"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_and_reported() {
    let dir = fresh_dir("torn");
    let server = start(durable(&dir)).await;
    let file = segment(&dir, 1);
    publish(&server, "t", "one");
    publish(&server, "t", "two");
    let whole = file_len(&file);
    publish(&server, "t", "three");
    let three = file_len(&file);
    drop(server);
    // A crash in the middle of the third record's write.
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(three - 5)
        .unwrap();

    let server = start(durable(&dir)).await;
    let torn = server.recovery().unwrap().torn_tail.clone().expect("torn");
    assert_eq!((torn.offset, torn.bytes), (whole, three - 5 - whole));
    assert_eq!(torn.file, file);
    assert_eq!(torn.reason, "the last record is cut short");
    assert!(
        torn.to_string().contains(&format!(
            "cut off an incomplete last record at byte {whole}"
        )),
        "{torn}"
    );
    assert_eq!(
        file_len(&file),
        whole,
        "the file ends where the torn record began"
    );
    assert_eq!(server.recovery().unwrap().last_id, 2);
    assert_eq!(publish(&server, "t", "again"), ["3"]);
    let after = file_len(&file);
    drop(server);

    // Zeros after the last record (a file extended but never written) are torn too.
    let mut f = OpenOptions::new().append(true).open(&file).unwrap();
    f.write_all(&[0; 64]).unwrap();
    drop(f);
    let server = start(durable(&dir)).await;
    let torn = server.recovery().unwrap().torn_tail.clone().expect("torn");
    assert_eq!((torn.offset, torn.bytes), (after, 64));
    let mut sse = Sse::open(server.local_addr(), "/topics/t", &[("last-event-id", "0")]).await;
    let events = within(sse.events(3)).await;
    assert_eq!(ids(&events), numbered(1, 3));
    assert_eq!(events[2].data(), "again");
    server.shutdown().await;
}

#[tokio::test]
async fn damage_before_the_last_record_is_refused_naming_file_and_offset() {
    let dir = fresh_dir("corrupt");
    let server = start(durable(&dir)).await;
    for data in ["one", "two", "three"] {
        publish(&server, "t", data);
    }
    server.shutdown().await;
    let file = segment(&dir, 1);
    let good = fs::read(&file).unwrap();
    // The header (8 bytes) and the sequence record (12 + 9) come first.
    let first_event = 29;
    let cases = [
        (first_event + 12 + 3, "checksum mismatch"),
        (first_event, "damaged record length"),
    ];
    for (byte, reason) in cases {
        let mut bad = good.clone();
        bad[byte] ^= 0x40;
        fs::write(&file, &bad).unwrap();
        let err = try_start(durable(&dir)).await.expect_err("refused");
        let ServerError::Storage(StorageError::Corrupt {
            file: named,
            offset,
            reason: why,
        }) = &err
        else {
            panic!("not a corrupt-record error: {err:?}");
        };
        assert_eq!((named, *offset), (&file, first_event as u64));
        assert!(why.starts_with(reason), "{why}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "{}: corrupt record at byte {first_event}: {reason}",
                file.display()
            )),
            "{message}"
        );
        assert_eq!(fs::read(&file).unwrap(), bad, "a refused log is left alone");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_log_of_this_version_is_refused() {
    let dir = fresh_dir("header");
    fs::create_dir_all(&dir).unwrap();
    let file = segment(&dir, 3);
    let cases: [(&[u8], &str); 3] = [
        (b"hello world", "not an sseload event log: no SSELOG header"),
        (
            b"SSELOG\x02\x00",
            "not an sseload event log: format version 2, this build reads 1",
        ),
        (b"", "not an sseload event log: no SSELOG header"),
    ];
    for (bytes, message) in cases {
        fs::write(&file, bytes).unwrap();
        let err = try_start(durable(&dir)).await.expect_err("refused");
        assert!(
            matches!(err, ServerError::Storage(StorageError::Header { .. })),
            "{err:?}"
        );
        assert_eq!(err.to_string(), format!("{}: {message}", file.display()));
    }
}

#[tokio::test]
async fn a_closed_topic_stays_closed_after_a_restart() {
    let dir = fresh_dir("closed");
    let server = start(durable(&dir)).await;
    publish(&server, "gone", "x");
    publish(&server, "kept", "y");
    let (status, _, _) = call(server.local_addr(), Method::DELETE, "/topics/gone", &[], "").await;
    assert_eq!(status, StatusCode::OK);
    drop(server);

    let server = start(durable(&dir)).await;
    let report = server.recovery().unwrap();
    assert_eq!(
        (report.topics, report.closed_topics, report.events),
        (2, 1, 1)
    );
    assert_eq!(
        server.hub().publish("gone", &[NewEvent::new("z")]),
        Err(PublishError::Closed("gone".to_owned()))
    );
    let sse = Sse::open(server.local_addr(), "/topics/gone", &[]).await;
    assert_eq!(sse.status, StatusCode::NO_CONTENT);
    assert_eq!(server.hub().close_topic("gone"), Ok(false));
    assert_eq!(publish(&server, "kept", "z"), ["3"]);
    server.shutdown().await;
}

#[tokio::test]
async fn compaction_keeps_the_replay_rings_and_bounds_the_log() {
    let dir = fresh_dir("compaction");
    let builder = || durable(&dir).replay(4).log_segment_bytes(4096);
    let server = start(builder()).await;
    for n in 0..400 {
        publish(
            &server,
            if n % 2 == 0 { "even" } else { "odd" },
            &format!("{n:0>40}"),
        );
    }
    server.shutdown().await;
    let files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_ne!(files[0], segment(&dir, 1), "the log has been compacted");
    // The limit (well above twice the snapshot here), plus at most one publish's record past it.
    assert!(file_len(&files[0]) < 4096 + 100, "{}", file_len(&files[0]));

    let server = start(builder()).await;
    let report = server.recovery().unwrap();
    assert_eq!((report.events, report.last_id), (8, 400));
    let addr = server.local_addr();
    let mut sse = Sse::open(addr, "/topics/even", &[("last-event-id", "391")]).await;
    assert_eq!(
        ids(&within(sse.events(4)).await),
        ["393", "395", "397", "399"]
    );
    // Events older than the ring were evicted before the restart: the gap is still said.
    let mut old = Sse::open(addr, "/topics/odd", &[("last-event-id", "100")]).await;
    let gap = within(old.next_event()).await;
    assert_eq!(gap.event_type(), GAP_EVENT);
    assert!(gap.data().contains("too_old"), "{}", gap.data());
    assert_eq!(
        ids(&within(old.events(4)).await),
        ["394", "396", "398", "400"]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn leftovers_of_a_cut_compaction_are_removed() {
    let dir = fresh_dir("leftovers");
    let server = start(durable(&dir)).await;
    publish(&server, "t", "x");
    server.shutdown().await;
    // As if a compaction into segment 2 died before removing segment 1, and
    // another before renaming its temporary file.
    fs::copy(segment(&dir, 1), segment(&dir, 2)).unwrap();
    fs::write(dir.join("segment-00000000000000000003.log.tmp"), b"half").unwrap();
    let server = start(durable(&dir)).await;
    let report = server.recovery().unwrap();
    assert_eq!(report.segment, segment(&dir, 2));
    assert_eq!(report.removed, [segment(&dir, 1)]);
    assert_eq!(report.events, 1);
    let files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files, [segment(&dir, 2)]);
    server.shutdown().await;
}

#[tokio::test]
async fn an_unusable_data_dir_is_an_error_at_start() {
    let base = fresh_dir("unusable");
    fs::create_dir_all(&base).unwrap();
    let file = base.join("a-file");
    fs::write(&file, b"").unwrap();
    let dir = file.join("data");
    let err = try_start(durable(&dir)).await.expect_err("refused");
    let ServerError::Storage(StorageError::Io { op, path, .. }) = &err else {
        panic!("not an I/O error: {err:?}");
    };
    assert_eq!((*op, path), ("create", &dir));
    assert_eq!(err.to_string(), format!("cannot create {}", dir.display()));
    let zero = quiet().data_dir(&base).log_segment_bytes(0).build();
    assert_eq!(
        zero.unwrap_err().to_string(),
        "log_segment_bytes must be at least 1"
    );
}
