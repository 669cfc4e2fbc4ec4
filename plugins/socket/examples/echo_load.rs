//! Load generator for the socket benchmarks (`benches/socket/run.sh`).
//!
//! `echo_load rtt HOST PORT CLIENTS SECONDS [SIZE]`: CLIENTS connections each send SIZE
//! bytes (default 64), wait for the whole echo, and repeat for SECONDS; prints round
//! trips per second. One tokio thread, so the generator costs the same against any server.
//!
//! `echo_load connect HOST PORT CLIENTS SECONDS [SIZE]`: the same with a new connection per
//! round trip.
//!
//! `echo_load sink PORT`: accepts one connection, counts bytes until end of stream and
//! prints `bytes seconds MiB/s`.
//!
//! `echo_load echo PORT` / `echo_load echo-threads PORT`: native echo servers (tokio, and a
//! thread per connection) that show the machine's ceiling; they print their port.

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: Option<T>) -> T {
    match args.get(i).map(|s| s.parse::<T>()) {
        Some(Ok(v)) => v,
        _ => default.unwrap_or_else(|| {
            eprintln!("usage: echo_load rtt HOST PORT CLIENTS SECONDS [SIZE] | sink PORT");
            std::process::exit(2)
        }),
    }
}

async fn client(host: String, port: u16, size: usize, until: Instant) -> std::io::Result<u64> {
    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    stream.set_nodelay(true)?;
    let msg = vec![b'x'; size];
    let mut back = vec![0u8; size];
    let mut trips = 0;
    while Instant::now() < until {
        stream.write_all(&msg).await?;
        stream.read_exact(&mut back).await?;
        trips += 1;
    }
    Ok(trips)
}

/// One connection per round trip: connect, send, read the echo, close.
async fn client_per_connection(host: String, port: u16, size: usize, until: Instant) -> std::io::Result<u64> {
    let msg = vec![b'x'; size];
    let mut back = vec![0u8; size];
    let mut trips = 0;
    while Instant::now() < until {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        stream.write_all(&msg).await?;
        stream.read_exact(&mut back).await?;
        trips += 1;
    }
    Ok(trips)
}

async fn rtt(args: &[String]) {
    let host: String = arg(args, 2, None);
    let port: u16 = arg(args, 3, None);
    let clients: usize = arg(args, 4, None);
    let seconds: f64 = arg(args, 5, None);
    let size: usize = arg(args, 6, Some(64));
    let start = Instant::now();
    let until = start + Duration::from_millis((seconds * 1000.0) as u64);
    let per_connection = args[1] == "connect";
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            if per_connection {
                tokio::spawn(client_per_connection(host.clone(), port, size, until))
            } else {
                tokio::spawn(client(host.clone(), port, size, until))
            }
        })
        .collect();
    let mut total = 0u64;
    let mut failed = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(n)) => total += n,
            _ => failed += 1,
        }
    }
    let took = start.elapsed().as_secs_f64();
    if failed > 0 {
        eprintln!("{failed} clients failed");
    }
    println!("{:.0}", total as f64 / took);
}

async fn sink(args: &[String]) {
    let port: u16 = arg(args, 2, None);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!("ready");
    let (mut stream, _) = listener.accept().await.expect("accept");
    let start = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n as u64,
        }
    }
    let took = start.elapsed().as_secs_f64();
    println!("{total} {took:.3} {:.0}", total as f64 / took / (1 << 20) as f64);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    match args.get(1).map(String::as_str) {
        Some("rtt") | Some("connect") => runtime.block_on(rtt(&args)),
        Some("sink") => runtime.block_on(sink(&args)),
        Some("echo-threads") => {
            // Thread-per-connection blocking echo: the ceiling for that model.
            use std::io::{Read, Write};
            let port: u16 = arg(&args, 2, None);
            let l = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
            println!("{}", l.local_addr().expect("addr").port());
            for s in l.incoming() {
                let Ok(mut s) = s else { continue };
                std::thread::spawn(move || {
                    let _ = s.set_nodelay(true);
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        }
        Some("echo") => {
            // The ceiling: a native multi-threaded tokio echo server.
            let port: u16 = arg(&args, 2, None);
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
                println!("{}", l.local_addr().expect("addr").port());
                loop {
                    let Ok((mut s, _)) = l.accept().await else { continue };
                    tokio::spawn(async move {
                        let _ = s.set_nodelay(true);
                        let mut buf = vec![0u8; 65536];
                        while let Ok(n) = s.read(&mut buf).await {
                            if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            })
        }
        _ => {
            eprintln!("usage: echo_load rtt HOST PORT CLIENTS SECONDS [SIZE] | sink PORT");
            std::process::exit(2)
        }
    }
}
