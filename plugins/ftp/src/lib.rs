//! netscript's `ftp` plugin, shaped after ftplib: `ftp::connect` gives an `FtpClient` with
//! ftplib's verbs over FTP and FTPS (explicit and implicit) on suppaftp, streamed transfers
//! that never leave a partial file at the target, resumable downloads. The files:

#![deny(missing_docs)]

mod client; // FtpClient: the session, commands under the time limit, EPSV/PASV, bounce check
mod error; // FtpError: the one error enum, ftplib's error_perm / error_temp / error_reply / error_proto
mod listing; // MLSD/MLST facts, NLST names
mod script; // the script functions and their docs
mod transfer; // listings, downloads to LOCAL.part then rename, uploads, resume

netscript_sdk::export_plugin! {
    name: "ftp",
    version: env!("CARGO_PKG_VERSION"),
    description: "FTP and FTPS client (ftplib): listings with every MLSD fact, streamed resumable transfers",
    register: script::register,
}
