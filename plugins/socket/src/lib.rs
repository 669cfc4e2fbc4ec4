//! netscript's `socket` plugin: TCP, UDP and Unix-domain sockets, name and service
//! lookups, and concurrent servers, shaped after Python's `socket` module.
//!
//! Script calls block the script's thread while tokio does the I/O on the shared runtime;
//! every call that talks to a peer has a timeout. The files, one concern each:

#![deny(missing_docs)]

mod certificate; // get_server_certificate: a TLS server's certificate, dates and trust
mod connection; // the script methods of connections and listeners
mod datagram; // datagram sockets shared by UDP and Unix datagrams
mod error; // SocketError: the one error enum and its script kinds
mod lookup; // gethostname, gethostbyname, getaddrinfo, gethostbyaddr, getserv*
mod net; // families, ports, timeouts, the close signal, resolution + permission check
mod raw; // raw socket I/O: blocking or fiber-friendly system calls, OS listeners
mod server; // socket::serve: accept loop, one worker thread per connection
mod socket_object; // socket::socket(family, type): the Python-shaped object
mod socket_script; // its script face: socket::socket and the Socket methods
mod stream; // byte streams and listeners shared by TCP and Unix sockets
mod tcp; // tcp_connect, tcp_listen, TcpConnection, TcpListener
mod udp; // udp_bind, UdpSocket
mod unix; // unix_connect, unix_listen, Unix datagrams

use netscript_sdk::ModuleBuilder;

netscript_sdk::export_plugin! {
    name: "socket",
    version: env!("CARGO_PKG_VERSION"),
    description: "TCP, UDP and Unix-domain sockets, lookups and concurrent servers (Python's socket)",
    register: register_all,
}

/// Lists everything the plugin offers; a file's functions appear only if listed here.
fn register_all(m: &mut ModuleBuilder) {
    m.doc(
        "Sockets: TCP, UDP and Unix-domain, name and service lookups, and concurrent \
         servers, after Python's `socket` module.",
    );
    net::register_constants(m);
    lookup::register(m);
    certificate::register(m);
    tcp::register(m);
    udp::register(m);
    unix::register(m);
    socket_script::register(m);
    server::register(m);
}

#[cfg(test)]
mod tests;
