//! netscript's `smtp` plugin, shaped after smtplib: `smtp::connect` gives an `SmtpClient`
//! with smtplib's methods and attributes, `smtp::send` sends one message in one call. The
//! files, one concern each:

#![deny(missing_docs)]

mod client; // SmtpClient: the session on lettre's AsyncSmtpConnection, commands, sendmail
mod envelope; // envelope addresses, MAIL/RCPT parameters, the data's line ends
mod error; // SmtpError: the one error enum and its smtplib kinds
mod features; // the EHLO reply as esmtp_features, replies lettre drops
mod script; // the script functions and their docs
mod send; // send_message and smtp::send
mod wire; // the stream under lettre: STARTTLS upgrade, captured replies, --trace smtp

netscript_sdk::export_plugin! {
    name: "smtp",
    version: env!("CARGO_PKG_VERSION"),
    description: "SMTP client (smtplib): EHLO features, STARTTLS and implicit TLS, AUTH, per-recipient refusals, pipelining",
    register: script::register,
}
