//! `--trace dns`: each question and the answer section as dig prints them
//! (`example.test.  300  IN  A  192.0.2.1`).

use crate::error::PROTOCOL;
use crate::names::show;
use crate::records::presentation;
use hickory_proto::rr::Record;
use netscript_sdk::trace;

/// A question going out (`example.test. MX to 127.0.0.1:53`).
pub fn question(line: &str) {
    if trace::enabled(PROTOCOL) {
        trace::sent(PROTOCOL, &format!(";; {line}"));
    }
}

/// Records that came back.
pub fn answer(records: &[Record]) {
    if trace::enabled(PROTOCOL) {
        if records.is_empty() {
            trace::received(PROTOCOL, ";; no answer records");
        }
        for record in records {
            trace::received(PROTOCOL, &line(record));
        }
    }
}

/// A reply's authority section (the SOA of a negative answer, a referral's NS), after a
/// `;; AUTHORITY` line as dig prints it.
pub fn authority(records: &[Record]) {
    if trace::enabled(PROTOCOL) && !records.is_empty() {
        trace::received(PROTOCOL, ";; AUTHORITY");
        for record in records {
            trace::received(PROTOCOL, &line(record));
        }
    }
}

/// A reply's status line, as dig's header (`;; status: NXDOMAIN, 0 answers, udp`).
pub fn status(line: &str) {
    if trace::enabled(PROTOCOL) {
        trace::received(PROTOCOL, &format!(";; {line}"));
    }
}

/// One record as a line of dig's answer section.
pub fn line(record: &Record) -> String {
    format!(
        "{}\t{}\tIN\t{}\t{}",
        show(&record.name),
        record.ttl,
        crate::names::type_name(record.record_type()),
        presentation(&record.data)
    )
}
