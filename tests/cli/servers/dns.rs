//! A DNS server for the tests: UDP on 127.0.0.1, port 0, answering from a
//! small zone with the message types of the resolver gate uses
//! (hickory-proto).
//!
//! ```ignore
//! let server = DnsServer::new()
//!     .a("api.example.com", "203.0.113.10")
//!     .mx("example.com", 10, "mail.example.com")
//!     .start();
//! let address = server.address(); // "127.0.0.1:PORT"
//! ```
//!
//! A name not in the zone is NXDOMAIN; a name in it without records of
//! the type asked is an empty NOERROR answer; a CNAME comes with its
//! target's records of the type asked.

use std::net::{Ipv4Addr, Ipv6Addr, UdpSocket};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_resolver::proto::op::{Message, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};

/// The zone a [`DnsServer`] answers from, and how.
#[derive(Clone, Default)]
pub struct DnsServer {
    records: Vec<Record>,
    /// Added to every answer: records of other names, as a careless or
    /// hostile server might send.
    strays: Vec<Record>,
    /// Added to the additional section of every response.
    additionals: Vec<Record>,
    /// Answers NXDOMAIN even with the records it gives.
    nxdomain: bool,
    /// Answer every query with this code instead (SERVFAIL, REFUSED).
    failure: Option<ResponseCode>,
}

/// A started [`DnsServer`]; dropping it stops the server.
pub struct Running {
    port: u16,
    stopping: Arc<AtomicBool>,
    /// Every question asked: the name (lowercase, no final dot) and type.
    questions: Arc<Mutex<Vec<(String, RecordType)>>>,
    thread: Option<JoinHandle<()>>,
}

impl DnsServer {
    pub fn new() -> DnsServer {
        DnsServer::default()
    }

    /// Answers every query with `code`.
    pub fn failing(code: ResponseCode) -> DnsServer {
        DnsServer {
            failure: Some(code),
            ..DnsServer::default()
        }
    }

    fn record(mut self, name: &str, data: RData) -> DnsServer {
        self.records.push(Record::from_rdata(fqdn(name), 60, data));
        self
    }

    pub fn a(self, name: &str, address: &str) -> DnsServer {
        let address = Ipv4Addr::from_str(address).expect("an IPv4 address");
        self.record(name, RData::A(A(address)))
    }

    pub fn aaaa(self, name: &str, address: &str) -> DnsServer {
        let address = Ipv6Addr::from_str(address).expect("an IPv6 address");
        self.record(name, RData::AAAA(AAAA(address)))
    }

    pub fn cname(self, name: &str, target: &str) -> DnsServer {
        self.record(name, RData::CNAME(CNAME(fqdn(target))))
    }

    pub fn mx(self, name: &str, preference: u16, exchange: &str) -> DnsServer {
        self.record(name, RData::MX(MX::new(preference, fqdn(exchange))))
    }

    pub fn txt(self, name: &str, text: &str) -> DnsServer {
        self.record(name, RData::TXT(TXT::new(vec![text.to_owned()])))
    }

    pub fn ns(self, name: &str, server: &str) -> DnsServer {
        self.record(name, RData::NS(NS(fqdn(server))))
    }

    /// Adds an A record of `name` to the additional section of every
    /// response: a hint, never an answer.
    pub fn additional(mut self, name: &str, address: &str) -> DnsServer {
        let address = Ipv4Addr::from_str(address).expect("an IPv4 address");
        self.additionals
            .push(Record::from_rdata(fqdn(name), 60, RData::A(A(address))));
        self
    }

    /// Says NXDOMAIN in every response, records and all.
    pub fn always_nxdomain(mut self) -> DnsServer {
        self.nxdomain = true;
        self
    }

    /// Adds an A record of `name` to every answer, whatever was asked.
    pub fn stray(mut self, name: &str, address: &str) -> DnsServer {
        let address = Ipv4Addr::from_str(address).expect("an IPv4 address");
        self.strays
            .push(Record::from_rdata(fqdn(name), 60, RData::A(A(address))));
        self
    }

    pub fn start(self) -> Running {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = socket.local_addr().unwrap().port();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let stopping = Arc::new(AtomicBool::new(false));
        let questions = Arc::new(Mutex::new(Vec::new()));
        let thread = std::thread::spawn({
            let (stopping, questions) = (Arc::clone(&stopping), Arc::clone(&questions));
            move || {
                let mut buffer = [0u8; 4096];
                while !stopping.load(Ordering::SeqCst) {
                    let Ok((read, peer)) = socket.recv_from(&mut buffer) else {
                        continue;
                    };
                    if let Some(answer) = self.answer(&buffer[..read], &questions) {
                        let _ = socket.send_to(&answer, peer);
                    }
                }
            }
        });
        Running {
            port,
            stopping,
            questions,
            thread: Some(thread),
        }
    }

    /// The response to one query, as bytes.
    fn answer(
        &self,
        request: &[u8],
        questions: &Mutex<Vec<(String, RecordType)>>,
    ) -> Option<Vec<u8>> {
        let request = Message::from_vec(request).ok()?;
        let query = request.queries.first()?.clone();
        let asked = plain(query.name());
        questions
            .lock()
            .unwrap()
            .push((asked.clone(), query.query_type()));
        let mut response = Message::response(request.metadata.id, OpCode::Query);
        response.metadata.authoritative = true;
        response.add_query(query.clone());
        let of_name: Vec<&Record> = self
            .records
            .iter()
            .filter(|record| plain(&record.name) == asked)
            .collect();
        response.metadata.response_code = match self.failure {
            Some(code) => code,
            None if of_name.is_empty() => ResponseCode::NXDomain,
            None => ResponseCode::NoError,
        };
        if self.failure.is_none() {
            for record in of_name {
                let wanted = query.query_type();
                if record.record_type() == wanted {
                    response.add_answer(record.clone());
                } else if let RData::CNAME(target) = &record.data {
                    // As a server does: the CNAME, then what its target has.
                    response.add_answer(record.clone());
                    let target = plain(&target.0);
                    for other in &self.records {
                        if plain(&other.name) == target && other.record_type() == wanted {
                            response.add_answer(other.clone());
                        }
                    }
                }
            }
            for stray in &self.strays {
                response.add_answer(stray.clone());
            }
            for additional in &self.additionals {
                response.add_additional(additional.clone());
            }
            if self.nxdomain {
                response.metadata.response_code = ResponseCode::NXDomain;
            }
        }
        response.to_vec().ok()
    }
}

impl Running {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`, as a gate's `server`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every question asked so far.
    pub fn questions(&self) -> Vec<(String, RecordType)> {
        self.questions.lock().unwrap().clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A UDP port on 127.0.0.1 where something listens and never answers.
pub struct SilentUdp {
    socket: UdpSocket,
}

impl SilentUdp {
    pub fn start() -> SilentUdp {
        SilentUdp {
            socket: UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0"),
        }
    }

    pub fn address(&self) -> String {
        self.socket.local_addr().unwrap().to_string()
    }
}

fn fqdn(name: &str) -> Name {
    let mut name = Name::from_str(name).expect("a DNS name");
    name.set_fqdn(true);
    name
}

/// `name` in lowercase without its final dot.
fn plain(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_lowercase()
}
