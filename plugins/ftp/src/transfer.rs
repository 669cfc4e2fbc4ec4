//! Data transfers, streamed: listings read line by line, downloads written as they arrive to
//! `LOCAL.part` and renamed onto `LOCAL` only after the server's 226 (so the target path never
//! holds a partial file, and `resume: true` continues the `.part` with REST), uploads read
//! from the file as they go. The time limit applies to each wait for data, not the whole
//! transfer; a progress bar shows on a terminal.

use crate::client::{failure, file_error, one_line, Session, Settings};
use crate::error::{FtpError, FtpResult, PROTOCOL};
use netscript_sdk::error::CommonKind;
use netscript_sdk::{host, trace};
use std::path::{Path, PathBuf};
use suppaftp::tokio::{AsyncRustlsStream, TransferStream};
use suppaftp::types::{FileType, FormatControl};
use suppaftp::Status;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Transfer = TransferStream<AsyncRustlsStream>;

/// Waits for `fut` at most the connection's timeout (one wait of a transfer).
async fn within<T>(settings: &Settings, what: &str, fut: impl std::future::Future<Output = T>) -> FtpResult<T> {
    tokio::time::timeout(settings.timeout, fut)
        .await
        .map_err(|_| FtpError::Host(netscript_sdk::CommonError::timeout(PROTOCOL, what, settings.timeout)))
}

/// Switches the transfer type (`TYPE A` for text, `TYPE I` for bytes), when it is not that
/// already (one round trip less per file of a mirror).
async fn type_of(s: &mut Session, ascii: bool) -> FtpResult<()> {
    if s.ascii == Some(ascii) {
        return Ok(());
    }
    s.ascii = Some(ascii);
    let (file_type, shown) =
        if ascii { (FileType::Ascii(FormatControl::Default), "TYPE A") } else { (FileType::Binary, "TYPE I") };
    trace::sent(PROTOCOL, shown);
    let address = s.address.clone();
    tokio::time::timeout(settings_timeout(s), s.ftp.transfer_type(file_type))
        .await
        .map_err(|_| FtpError::Host(netscript_sdk::CommonError::timeout(PROTOCOL, "TYPE", settings_timeout(s))))?
        .map_err(|e| failure(&address, "TYPE", e))
}

/// The connection's timeout, as the session knows it.
fn settings_timeout(s: &Session) -> std::time::Duration {
    s.timeout
}

/// Opens the data connection for a download command, EPSV falling back to PASV once.
async fn open_download(s: &mut Session, settings: &Settings, command: &str) -> FtpResult<Transfer> {
    loop {
        s.data_mode(settings);
        trace::sent(PROTOCOL, command);
        let verb = command.split(' ').next().unwrap_or(command);
        let opened =
            within(settings, verb, s.ftp.custom_data_command(command, &[Status::AboutToSend, Status::AlreadyOpen]))
                .await?;
        match opened {
            Ok((reply, stream)) => {
                trace::received(PROTOCOL, String::from_utf8_lossy(&reply.body).trim_end());
                return Ok(stream);
            }
            Err(e) => {
                let err = failure(&s.address, command, e);
                if !s.epsv_refused_now(&err) {
                    return Err(err);
                }
            }
        }
    }
}

/// Reads a transfer to its end and then the server's completion reply (an unfinished
/// transfer is an error, never a short success).
async fn finish(s: &Session, settings: &Settings, stream: Transfer, command: &str) -> FtpResult<()> {
    let verb = command.split(' ').next().unwrap_or(command);
    within(settings, verb, stream.finish()).await?.map_err(|e| failure(&s.address, verb, e))?;
    trace::received(PROTOCOL, "226 (the transfer is complete)");
    Ok(())
}

/// A listing or text download (`LIST`, `NLST`, `MLSD`, `RETR` in ASCII): its lines, each
/// given to `each` as it arrives.
pub async fn lines(
    s: &mut Session,
    settings: &Settings,
    command: &str,
    each: &mut dyn FnMut(String) -> FtpResult<()>,
) -> FtpResult<()> {
    type_of(s, true).await?;
    let mut stream = open_download(s, settings, command).await?;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = within(settings, command, stream.read(&mut buf)).await?.map_err(|e| io_failure(s, command, &e))?;
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(at) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=at).collect();
            each(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string())?;
        }
    }
    if !pending.is_empty() {
        each(String::from_utf8_lossy(&pending).trim_end_matches('\r').to_string())?;
    }
    finish(s, settings, stream, command).await
}

fn io_failure(s: &Session, what: &str, err: &std::io::Error) -> FtpError {
    let kind = match err.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => CommonKind::ConnectionClosed,
        _ => CommonKind::of_io(err),
    };
    FtpError::common(kind, format!("{}: {what}: the data connection: {err}", s.address))
}

/// Downloads `remote` into `sink` as it arrives, from `offset` (REST) when it is above 0;
/// returns the bytes received.
async fn download(
    s: &mut Session,
    settings: &Settings,
    remote: &str,
    offset: u64,
    sink: &mut (dyn FnMut(&[u8]) -> FtpResult<()> + Send),
) -> FtpResult<u64> {
    one_line("path", remote)?;
    type_of(s, false).await?;
    let total = size_of(s, remote).await;
    if offset > 0 {
        let address = s.address.clone();
        within(settings, "REST", s.ftp.resume_transfer(offset as usize))
            .await?
            .map_err(|e| failure(&address, "REST", e))?;
        trace::sent(PROTOCOL, &format!("REST {offset}"));
    }
    let command = format!("RETR {remote}");
    let mut stream = open_download(s, settings, &command).await?;
    let progress = host().progress(total.map(|t| t.saturating_sub(offset)), remote, true);
    let mut buf = vec![0u8; buffer_for(total)];
    let mut received = 0u64;
    loop {
        let n = within(settings, "RETR", stream.read(&mut buf)).await?.map_err(|e| io_failure(s, "RETR", &e))?;
        if n == 0 {
            break;
        }
        sink(&buf[..n])?;
        received += n as u64;
        progress.inc(n as u64);
    }
    progress.finish();
    trace::received(PROTOCOL, &format!("[{received} bytes]"));
    finish(s, settings, stream, &command).await?;
    Ok(received)
}

/// A transfer's buffer: 256 KiB, or the file's size when smaller (a mirror of small files
/// zeroes no big buffer per file).
fn buffer_for(total: Option<u64>) -> usize {
    const MOST: usize = 256 * 1024;
    total.map_or(MOST, |t| usize::try_from(t).unwrap_or(MOST).clamp(4096, MOST))
}

/// SIZE of `remote`, when a progress bar will show it (stderr a terminal).
async fn size_of(s: &mut Session, remote: &str) -> Option<u64> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let timeout = s.timeout;
    let asked = tokio::time::timeout(timeout, s.command(&format!("SIZE {remote}"), &format!("SIZE {remote}"))).await;
    let (code, text) = asked.ok()?.ok()?;
    (code == 213).then(|| text.trim().parse().ok()).flatten()
}

/// `LOCAL.part`, where a download goes until it is whole.
fn part_of(local: &Path) -> PathBuf {
    let mut name = local.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// `get(remote, local)`: the file written to `local.part` as it arrives, fsynced and renamed
/// onto `local` after the 226; with `resume`, a `.part` left by a broken download is
/// continued (REST). Returns the bytes received in this call.
pub async fn get(s: &mut Session, settings: &Settings, remote: &str, local: &Path, resume: bool) -> FtpResult<u64> {
    one_line("path", remote)?;
    let named = local.file_name().is_some_and(|n| n != "." && n != "..");
    if local.as_os_str().is_empty() || !named || local.as_os_str().to_string_lossy().ends_with('/') || local.is_dir() {
        return Err(FtpError::invalid(format!(
            "get: '{}' is not a file name (give the file to write, not a folder)",
            local.display()
        )));
    }
    let local = host().check_write(local)?;
    let part = host().check_write(&part_of(&local))?;
    let offset = if resume { std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) } else { 0 };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(offset > 0)
        .truncate(offset == 0)
        .open(&part)
        .map_err(|e| file_error("cannot write", &part, &e))?;
    let mut written = 0u64;
    let mut sink = |bytes: &[u8]| {
        written += bytes.len() as u64;
        std::io::Write::write_all(&mut file, bytes).map_err(|e| file_error("cannot write", &part, &e))
    };
    let received = match download(s, settings, remote, offset, &mut sink).await {
        Ok(n) => n,
        Err(err) => {
            // A refused or never-started download leaves nothing; a transfer broken after
            // some bytes keeps its `.part` for `resume: true`.
            if offset == 0 && written == 0 {
                let _ = std::fs::remove_file(&part);
            }
            return Err(err);
        }
    };
    file.sync_all().map_err(|e| file_error("cannot write", &part, &e))?;
    drop(file);
    std::fs::rename(&part, &local).map_err(|e| file_error("cannot rename onto", &local, &e))?;
    Ok(received)
}

/// `get_blob(remote)`: the file's bytes.
pub async fn get_blob(s: &mut Session, settings: &Settings, remote: &str) -> FtpResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut sink = |chunk: &[u8]| {
        bytes.extend_from_slice(chunk);
        Ok(())
    };
    download(s, settings, remote, 0, &mut sink).await?;
    Ok(bytes)
}

/// Uploads what `next` gives (None at the end) to `remote` (`STOR`, or `APPE`), in `ascii`
/// or binary; returns the bytes sent.
async fn upload(
    s: &mut Session,
    settings: &Settings,
    remote: &str,
    ascii: bool,
    next: &mut (dyn FnMut(&mut [u8]) -> FtpResult<usize> + Send),
    total: Option<u64>,
) -> FtpResult<u64> {
    one_line("path", remote)?;
    type_of(s, ascii).await?;
    let command = format!("STOR {remote}");
    let mut stream = loop {
        s.data_mode(settings);
        trace::sent(PROTOCOL, &command);
        match within(settings, "STOR", s.ftp.put_with_stream(remote)).await? {
            Ok(stream) => break stream,
            Err(e) => {
                let err = failure(&s.address, &command, e);
                if !s.epsv_refused_now(&err) {
                    return Err(err);
                }
            }
        }
    };
    let progress = host().progress(total, remote, true);
    let mut buf = vec![0u8; buffer_for(total)];
    let mut sent = 0u64;
    loop {
        let n = next(&mut buf)?;
        if n == 0 {
            break;
        }
        within(settings, "STOR", stream.write_all(&buf[..n])).await?.map_err(|e| io_failure(s, "STOR", &e))?;
        sent += n as u64;
        progress.inc(n as u64);
    }
    progress.finish();
    trace::sent(PROTOCOL, &format!("[{sent} bytes]"));
    finish(s, settings, stream, &command).await?;
    Ok(sent)
}

/// `put(local, remote)`: the file streamed from disk. Returns the bytes sent.
pub async fn put(s: &mut Session, settings: &Settings, local: &Path, remote: &str, ascii: bool) -> FtpResult<u64> {
    let local = host().check_read(local)?;
    let mut file = std::fs::File::open(&local).map_err(|e| file_error("cannot read", &local, &e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let mut next =
        |buf: &mut [u8]| std::io::Read::read(&mut file, buf).map_err(|e| file_error("cannot read", &local, &e));
    upload(s, settings, remote, ascii, &mut next, total).await
}

/// `put_blob(remote, bytes)`.
pub async fn put_blob(s: &mut Session, settings: &Settings, remote: &str, bytes: &[u8]) -> FtpResult<u64> {
    let mut at = 0;
    let mut next = |buf: &mut [u8]| {
        let n = buf.len().min(bytes.len() - at);
        buf[..n].copy_from_slice(&bytes[at..at + n]);
        at += n;
        Ok(n)
    };
    upload(s, settings, remote, false, &mut next, Some(bytes.len() as u64)).await
}

/// The path of an ftplib-style `"RETR name"` / `"STOR name"` command. Errors:
/// `InvalidArgument` for another verb.
pub fn path_of<'a>(command: &'a str, verb: &str) -> FtpResult<&'a str> {
    one_line("command", command)?;
    match command.split_once(' ') {
        Some((v, path)) if v.eq_ignore_ascii_case(verb) && !path.trim().is_empty() => Ok(path.trim()),
        _ => Err(FtpError::invalid(format!("'{}' is not \"{verb} name\"", netscript_sdk::options::quote(command)))),
    }
}
