//! A real service process for `[services.*]`: this test binary, run again
//! with `--exact servers::service::serve`, behaves as the service named by
//! `GATE_TEST_SERVICE`:
//!
//! - `http`: listens on 127.0.0.1:`$SERVICE_PORT`, answers every request
//!   `200 ok`, prints `listening on PORT`;
//! - `exit`: prints `boom` and exits with status 3;
//! - `silent`: prints `starting` and never listens;
//! - `stubborn`: like `http`, but ignores SIGTERM;
//! - `log`: prints `Application startup complete` and waits.
//!
//! In every mode it writes its pid to `$SERVICE_PID_FILE` (when set), and on
//! SIGTERM or SIGINT writes the signal's name to `$SERVICE_SIGNAL_FILE` (when
//! set) and exits 0. It prints on stderr: [`command`] makes that its output
//! and sends what the test harness itself prints to /dev/null.

use std::io::Write;
use std::net::TcpListener;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{SignalKind, signal};

/// The shell command that starts the service (its mode and files come from
/// the environment, e.g. a service's `env`).
pub fn command() -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let exe = exe.display().to_string();
    assert!(
        !exe.contains(['\'', '"', '\\']),
        "the test binary's path {exe} needs no quoting"
    );
    format!(
        "exec '{exe}' --exact servers::service::serve --ignored --nocapture --test-threads 1 -q 2>&1 >/dev/null"
    )
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

#[test]
#[ignore = "a service process, started by the services tests"]
fn serve() {
    let Ok(mode) = std::env::var("GATE_TEST_SERVICE") else {
        return;
    };
    if mode == "stubborn" {
        // SAFETY: setting a signal's disposition to SIG_IGN touches no memory.
        unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let signal_name = runtime.block_on(async {
        // Handlers first, so a signal sent once the service is up is seen.
        let mut interrupt = signal(SignalKind::interrupt()).expect("SIGINT handler");
        let mut terminate = match mode.as_str() {
            "stubborn" => None,
            _ => Some(signal(SignalKind::terminate()).expect("SIGTERM handler")),
        };
        if let Ok(file) = std::env::var("SERVICE_PID_FILE") {
            let temporary = format!("{file}.tmp");
            std::fs::write(&temporary, std::process::id().to_string()).unwrap();
            std::fs::rename(&temporary, &file).unwrap();
        }
        let sigterm = async {
            match &mut terminate {
                Some(terminate) => terminate.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = behave(&mode) => unreachable!("a service never returns"),
            _ = interrupt.recv() => "SIGINT",
            _ = sigterm => "SIGTERM",
        }
    });
    if let Ok(file) = std::env::var("SERVICE_SIGNAL_FILE") {
        std::fs::write(file, signal_name).unwrap();
    }
    std::process::exit(0);
}

/// Prints `line` on stderr at once.
fn say(line: &str) {
    let mut stderr = std::io::stderr();
    writeln!(stderr, "{line}").unwrap();
    stderr.flush().unwrap();
}

/// What the service does until a signal ends it.
async fn behave(mode: &str) {
    match mode {
        "http" | "stubborn" => listen().await,
        "exit" => {
            say("boom");
            std::process::exit(3);
        }
        "silent" => say("starting"),
        "log" => say("Application startup complete"),
        other => panic!("unknown GATE_TEST_SERVICE mode {other:?}"),
    }
    std::future::pending().await
}

/// Answers every request on 127.0.0.1:$SERVICE_PORT with `200 ok`.
async fn listen() {
    let port: u16 = std::env::var("SERVICE_PORT")
        .expect("SERVICE_PORT")
        .parse()
        .expect("SERVICE_PORT is a port");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"));
    say(&format!("listening on {port}"));
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(read @ 1..) => request.extend_from_slice(&buffer[..read]),
                    _ => return,
                }
            }
            let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
