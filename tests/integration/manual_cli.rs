//! [manual] The command line: `musicagg monitor --manual` under a
//! pseudo-terminal (script(1) from bsdutils gives it one) reads the number
//! typed; `--json` prints the offer and reads nothing, and `musicagg choose
//! RUN #N` answers it from another shell.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::doubles::{Fake, HASH_B};
use crate::harness::{Backend, STEP, TestApp};
use crate::manual::two_candidates;
use crate::qbt::require;
use crate::serve::musicagg;
use crate::stream::ALBUM;

const BIN: &str = env!("CARGO_BIN_EXE_musicagg");

/// One acceptable release (A) and one rejected by the double (B).
async fn app() -> (Arc<Fake>, TestApp) {
    let (fake, providers) = two_candidates().into_providers();
    (fake, TestApp::spawn(Backend::Sqlite, providers).await)
}

/// Everything `reader` produces, collected as it comes.
fn collect(mut reader: impl tokio::io::AsyncRead + Unpin + Send + 'static) -> Arc<Mutex<String>> {
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    seen
}

async fn wait_for(seen: &Mutex<String>, text: &str) {
    let deadline = Instant::now() + STEP;
    while !seen.lock().unwrap().contains(text) {
        assert!(
            Instant::now() < deadline,
            "{text:?} never came; so far:\n{}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn exit_of(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    tokio::time::timeout(STEP, child.wait())
        .await
        .expect("the command ends")
        .expect("its status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_manual_on_a_terminal_shows_the_table_and_reads_a_number() {
    require("script", "bsdutils");
    let (fake, app) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://{}", app.addr);
    // script(1) runs the command on a pseudo-terminal of its own and copies
    // what we write to its input onto it (as typing would).
    let command = format!("{BIN} monitor {ALBUM} --quality lossless --manual --server {server}");
    let mut script = tokio::process::Command::new("script");
    script
        .args(["-q", "-e", "-f", "-c", &command, "/dev/null"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = script.spawn().expect("script(1)");
    let seen = collect(child.stdout.take().unwrap());
    let mut input = child.stdin.take().unwrap();

    wait_for(&seen, "choose 1-2 (or d to decline):").await;
    {
        let screen = seen.lock().unwrap().clone();
        assert!(screen.contains("2 candidates (until "), "{screen}");
        let row = |n: &str| {
            screen
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{n}  ")))
                .unwrap_or_else(|| panic!("no row {n}:\n{screen}"))
                .to_owned()
        };
        assert!(
            row("1").contains("accepted") && row("1").contains("fake-indexer"),
            "{screen}"
        );
        assert!(
            row("2").contains("rejected") && row("2").contains("300 MB"),
            "{screen}"
        );
        assert!(screen.contains("- fewer than 5 seeders"), "{screen}");
    }
    // A wrong answer is asked again; then the number.
    input.write_all(b"7\n").await.unwrap();
    wait_for(&seen, "type a number from 1 to 2").await;
    input.write_all(b"2\n").await.unwrap();
    wait_for(&seen, "COMPLETE: added to fake-client").await;
    let status = exit_of(&mut child).await;
    assert!(status.success(), "{status:?}\n{}", seen.lock().unwrap());
    assert_eq!(*fake.added.lock().unwrap(), vec![HASH_B.to_owned()]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_manual_json_prints_the_offer_reads_nothing_and_choose_answers_it() {
    let (fake, app) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://{}", app.addr);
    let mut monitor = tokio::process::Command::from({
        let mut c = musicagg(dir.path());
        c.args(["monitor", ALBUM, "--manual", "--json", "--server", &server]);
        c
    });
    monitor
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = monitor.spawn().unwrap();
    let seen = collect(child.stdout.take().unwrap());
    // An answer on its input must not be read: with --json nothing is.
    let mut input = child.stdin.take().unwrap();
    input.write_all(b"1\n").await.unwrap();
    wait_for(&seen, "\"offer\"").await;
    let offer_line = seen
        .lock()
        .unwrap()
        .lines()
        .find(|l| l.contains("\"offer\""))
        .map(str::to_owned)
        .unwrap();
    let offer: serde_json::Value = serde_json::from_str(&offer_line).unwrap();
    let candidates = offer["offer"]["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2);
    assert_eq!(
        (
            candidates[1]["number"].as_u64(),
            candidates[1]["accepted"].as_bool()
        ),
        (Some(2), Some(false))
    );
    assert_eq!(
        candidates[1]["rejection_reasons"][0],
        "fewer than 5 seeders"
    );
    let run_id = offer["offer"]["run_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.added.lock().unwrap().is_empty(), "nothing was read");

    let choose = choose_with_the_cli(dir.path(), &run_id, "#2", &server).await;
    let said = String::from_utf8_lossy(&choose.stdout);
    assert!(
        choose.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&choose.stderr)
    );
    assert!(
        said.contains("chosen: Artist - Album (2020) [FLAC] (few seeders)"),
        "{said}"
    );
    assert!(said.contains("COMPLETE"), "{said}");

    let status = exit_of(&mut child).await;
    assert!(status.success(), "{status:?}");
    let out = seen.lock().unwrap().clone();
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["result"]["status"], "COMPLETE");
    assert_eq!(last["result"]["run_id"], run_id.as_str());
    assert_eq!(*fake.added.lock().unwrap(), vec![HASH_B.to_owned()]);

    // Answering again: refused, with the reason, exit code 3.
    let again = choose_with_the_cli(dir.path(), &run_id, "#1", &server).await;
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already answered"));
    app.stop().await;
}

/// `musicagg choose RUN PICK --server SERVER`, off the runtime's threads (the
/// server under test runs on them).
async fn choose_with_the_cli(
    dir: &std::path::Path,
    run_id: &str,
    pick: &str,
    server: &str,
) -> std::process::Output {
    let mut command = musicagg(dir);
    command.args(["choose", run_id, pick, "--server", server]);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}
