//! kill -9 in the middle of an export job: after a restart the job ends `completed` (run
//! again from the start by the restarted server once the dead one's lease ran out) or
//! `failed` with a reason, never `running` for good, and no partial file stays. Also
//! `interlog export --format parquet` offline: the same file, read back with the parquet
//! crate's reader.

mod common;

use common::{create_client, json_of, ok, run, serve, token, Server};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const N: u64 = 30_000;

fn write_engagements(file: &Path, n: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(file).unwrap());
    for i in 0..n {
        let e = json!({"id": format!("x{i:06}"), "started_at": format!("2024-03-{:02}T10:00:00Z", 1 + i % 28),
                       "duration_ms": 1000 + i, "channels": [{"type": "voice"}],
                       "participants": [{"role": "agent", "id": "a1"}, {"role": "customer"}],
                       "queues": [if i % 2 == 0 { json!({"id": "q1", "name": "Billing"}) } else { json!({"id": "q2", "name": "Sales"}) }],
                       "subject": "a subject long enough to make the export take a while"});
        writeln!(out, "{e}").unwrap();
    }
}

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_ending(&p, suffix));
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_export_ends_the_job_after_a_restart_without_a_partial_file() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(&["tenant", "create", "acme"], &data));
    let file = work.path().join("engagements.ndjson");
    write_engagements(&file, N);
    ok(run(
        &["import", "--tenant", "acme", file.to_str().unwrap()],
        &data,
    ));
    let creds = create_client(&data, "acme", "admin");
    let http = reqwest::Client::new();
    let mut server = Server::start(&mut serve(&data));
    let t = token(&http, &server.base, &creds).await;
    let view = json_of(
        http.post(format!("{}/api/v1/tenants/acme/exports", server.base))
            .bearer_auth(&t)
            .json(&json!({"format": "ndjson"})),
    )
    .await;
    let id = view["id"].as_str().unwrap().to_owned();

    // Killed once the run has written part of its file.
    let exports = data.join("exports");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let partial = files_ending(&exports, ".part");
        if partial
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        {
            server.kill();
            break;
        }
        assert!(
            files_ending(&exports, ".ndjson").is_empty(),
            "the export finished before the kill; make N larger"
        );
        assert!(Instant::now() < deadline, "the export did not start");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!files_ending(&exports, ".part").is_empty());

    let server = Server::start(&mut serve(&data));
    let t = token(&http, &server.base, &creds).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let v = json_of(
            http.get(format!("{}/api/v1/tenants/acme/exports/{id}", server.base))
                .bearer_auth(&t),
        )
        .await;
        if !matches!(v["state"].as_str(), Some("queued" | "running")) {
            break v;
        }
        assert!(Instant::now() < deadline, "still {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    match done["state"].as_str() {
        Some("completed") => {
            assert_eq!(done["rows"], N, "{done}");
            let body = http
                .get(format!(
                    "{}/api/v1/tenants/acme/exports/{id}/file",
                    server.base
                ))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(body.lines().count() as u64, N);
        }
        Some("failed") => assert!(done["error"].as_str().is_some_and(|e| !e.is_empty())),
        other => panic!("ended {other:?}: {done}"),
    }
    assert_eq!(
        files_ending(&exports, ".part"),
        Vec::<PathBuf>::new(),
        "no partial file stays"
    );
}

#[test]
fn interlog_export_writes_parquet_offline() {
    use arrow_array::{Array, Int64Array, ListArray};
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    ok(run(&["tenant", "create", "acme"], &data));
    let file = work.path().join("engagements.ndjson");
    write_engagements(&file, 2_500);
    ok(run(
        &["import", "--tenant", "acme", file.to_str().unwrap()],
        &data,
    ));
    let out = work.path().join("x.parquet");
    let printed = ok(run(
        &[
            "export",
            "--tenant",
            "acme",
            "--format",
            "parquet",
            "--filter",
            "min_duration_ms=2000",
            "--output",
            out.to_str().unwrap(),
        ],
        &data,
    ));
    let _ = printed;
    let bytes = bytes::Bytes::from(std::fs::read(&out).unwrap());
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .build()
        .unwrap();
    let (mut rows, mut sum, mut participants) = (0usize, 0i64, 0usize);
    for batch in reader {
        let batch = batch.unwrap();
        rows += batch.num_rows();
        let d = batch
            .column(batch.schema().index_of("duration_ms").unwrap())
            .clone();
        sum += d
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .iter()
            .flatten()
            .sum::<i64>();
        let p = batch
            .column(batch.schema().index_of("participants").unwrap())
            .clone();
        let p = p.as_any().downcast_ref::<ListArray>().unwrap();
        participants += (0..p.len())
            .map(|i| p.value_length(i) as usize)
            .sum::<usize>();
    }
    // Durations 1000 + i for i in 0..2500; those of at least 2000: i in 1000..2500.
    assert_eq!(rows, 1_500);
    assert_eq!(sum, (1000..2500).map(|i| 1000 + i).sum::<i64>());
    assert_eq!(participants, 3_000);
    // The filter takes names as the listing does: every other engagement waited in Billing.
    let printed = ok(run(
        &[
            "export",
            "--tenant",
            "acme",
            "--format",
            "ndjson",
            "--filter",
            "filter=queue:billing AND duration_ms>=2000",
        ],
        &data,
    ));
    assert_eq!(
        printed.lines().count(),
        750,
        "{}",
        &printed[..printed.len().min(500)]
    );
}
