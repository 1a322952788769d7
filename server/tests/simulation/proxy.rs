//! A loopback HTTP/1.1 proxy between the simulated devices and the server that loses,
//! duplicates, delays and reorders requests and replies.
//!
//! It speaks the simplest HTTP there is: one request per connection (`Connection: close`
//! both ways), bodies by `Content-Length`. That is all the devices send, and it lets the
//! proxy decide the fate of each request as a whole.
//!
//! Faults are drawn from one seeded RNG per device (named by the `x-sim-device` header,
//! which the proxy strips): each device issues its requests one after another, so the
//! sequence of faults it meets depends only on the seed, not on how the devices' requests
//! interleave. Requests without the header (logins, the final verification) and every
//! request after [`FaultProxy::stop_faults`] pass untouched.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{sleep, timeout};

/// Names the device a request comes from; the proxy's faults apply only to these.
pub const DEVICE_HEADER: &str = "x-sim-device";
/// Set on the proxy's own 502, so a device can tell "server unreachable" (expected while
/// it is down) from a 5xx of the server itself (a bug).
pub const PROXY_HEADER: &str = "x-sim-proxy";

/// Every socket wait of the proxy is bounded by this.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// Forwarded, answered.
    Pass,
    /// Never forwarded; the device's connection is closed unanswered.
    DropRequest,
    /// Forwarded and applied by the server; the reply is thrown away and the device's
    /// connection closed unanswered.
    DropResponse,
    /// Forwarded twice (one after the other, or both at once); one reply is answered.
    Duplicate,
    /// Forwarded and answered after a pause before and after the server.
    Delay,
    /// The device sees its connection closed at once; the request reaches the server
    /// later, after the device has moved on (a stale, reordered delivery).
    Reorder,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Pass,
    DropRequest,
    DropResponse,
    Duplicate {
        concurrent: bool,
        answer_first: bool,
    },
    Delay {
        before: Duration,
        after: Duration,
    },
    Reorder {
        after: Duration,
    },
}

impl Fault {
    fn kind(self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::DropRequest => FaultKind::DropRequest,
            Fault::DropResponse => FaultKind::DropResponse,
            Fault::Duplicate { .. } => FaultKind::Duplicate,
            Fault::Delay { .. } => FaultKind::Delay,
            Fault::Reorder { .. } => FaultKind::Reorder,
        }
    }

    fn draw(rng: &mut StdRng) -> Fault {
        match rng.random_range(0..100) {
            0..50 => Fault::Pass,
            50..60 => Fault::DropRequest,
            60..70 => Fault::DropResponse,
            70..80 => Fault::Duplicate {
                concurrent: rng.random_bool(0.5),
                answer_first: rng.random_bool(0.5),
            },
            80..92 => Fault::Delay {
                before: Duration::from_millis(rng.random_range(0..120)),
                after: Duration::from_millis(rng.random_range(0..120)),
            },
            _ => Fault::Reorder {
                after: Duration::from_millis(rng.random_range(20..1500)),
            },
        }
    }
}

struct Shared {
    /// The server's current port; 0 while it is down.
    upstream: AtomicU16,
    faults_on: AtomicBool,
    seed: u64,
    rngs: Mutex<HashMap<String, StdRng>>,
    /// Requests held back for a late delivery.
    held: Mutex<JoinSet<()>>,
    stats: Mutex<BTreeMap<FaultKind, u64>>,
    /// Woken each time a device has been answered 200 to a push.
    push_answered: Arc<Notify>,
}

impl Shared {
    fn decide(&self, device: Option<&str>) -> Fault {
        let Some(device) = device else {
            return Fault::Pass;
        };
        if !self.faults_on.load(Ordering::SeqCst) {
            return Fault::Pass;
        }
        let mut rngs = self.rngs.lock().unwrap();
        let rng = rngs.entry(device.to_owned()).or_insert_with(|| {
            StdRng::seed_from_u64(super::derive_seed(self.seed, &format!("proxy/{device}")))
        });
        let fault = Fault::draw(rng);
        *self.stats.lock().unwrap().entry(fault.kind()).or_default() += 1;
        fault
    }
}

pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// Listens on 127.0.0.1 and a free port; forwards to `upstream` (a port on 127.0.0.1).
    pub async fn start(seed: u64, upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            upstream: AtomicU16::new(upstream),
            faults_on: AtomicBool::new(true),
            seed,
            rngs: Mutex::new(HashMap::new()),
            held: Mutex::new(JoinSet::new()),
            stats: Mutex::new(BTreeMap::new()),
            push_answered: Arc::new(Notify::new()),
        });
        let accept_shared = shared.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    sleep(Duration::from_millis(10)).await;
                    continue;
                };
                tokio::spawn(handle(accept_shared.clone(), stream));
            }
        });
        FaultProxy {
            port,
            shared,
            accept,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Points the proxy at the server's new port (0: the server is down).
    pub fn set_upstream(&self, port: u16) {
        self.shared.upstream.store(port, Ordering::SeqCst);
    }

    /// Turns fault injection on or off (on from the start), for the setup before the faults.
    pub fn set_faults(&self, on: bool) {
        self.shared.faults_on.store(on, Ordering::SeqCst);
    }

    /// Ends fault injection and waits until every held request has been delivered (or
    /// failed), so nothing stale reaches the server during the final checks.
    pub async fn stop_faults(&self) {
        self.shared.faults_on.store(false, Ordering::SeqCst);
        let mut held = std::mem::take(&mut *self.shared.held.lock().unwrap());
        // Each held task sleeps at most 1.5 s and then does one bounded forward.
        let drained = timeout(Duration::from_secs(30), async {
            while held.join_next().await.is_some() {}
        })
        .await;
        assert!(drained.is_ok(), "held requests were not delivered in 30 s");
    }

    /// Notifies its waiters right after a device received a 200 to a push: the moment to
    /// kill the server to test that an acknowledged push is durable.
    pub fn push_answered(&self) -> Arc<Notify> {
        self.shared.push_answered.clone()
    }

    pub fn stats(&self) -> BTreeMap<FaultKind, u64> {
        self.shared.stats.lock().unwrap().clone()
    }
}

/// One request as read from a device, ready to forward.
struct Request {
    device: Option<String>,
    is_push: bool,
    /// The request to send upstream: the device header removed, `Connection: close` set.
    bytes: Vec<u8>,
}

async fn handle(shared: Arc<Shared>, mut client: TcpStream) {
    let Ok(Some(request)) = timeout(IO_TIMEOUT, read_request(&mut client)).await else {
        return;
    };
    let request = Arc::new(request);
    match shared.decide(request.device.as_deref()) {
        Fault::Pass => {
            let reply = forward(&shared, &request.bytes).await;
            answer(&shared, &request, client, reply).await;
        }
        Fault::DropRequest => drop(client),
        Fault::DropResponse => {
            let _ = forward(&shared, &request.bytes).await;
            drop(client);
        }
        Fault::Duplicate {
            concurrent,
            answer_first,
        } => {
            let (first, second) = if concurrent {
                tokio::join!(
                    forward(&shared, &request.bytes),
                    forward(&shared, &request.bytes)
                )
            } else {
                let first = forward(&shared, &request.bytes).await;
                (first, forward(&shared, &request.bytes).await)
            };
            let reply = if answer_first { first } else { second };
            answer(&shared, &request, client, reply).await;
        }
        Fault::Delay { before, after } => {
            sleep(before).await;
            let reply = forward(&shared, &request.bytes).await;
            sleep(after).await;
            answer(&shared, &request, client, reply).await;
        }
        Fault::Reorder { after } => {
            // Held before the device learns of the failure, so `stop_faults` (called once
            // the devices are idle) waits for it too.
            let late = shared.clone();
            let request = request.clone();
            shared.held.lock().unwrap().spawn(async move {
                sleep(after).await;
                let _ = forward(&late, &request.bytes).await;
            });
            drop(client);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Reads the head (up to the blank line) and returns it with whatever body bytes came along.
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            let head = String::from_utf8(buffer[..end].to_vec()).ok()?;
            return Some((head, buffer[end + 4..].to_vec()));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn content_length(head: &str) -> Option<usize> {
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
}

async fn read_request(client: &mut TcpStream) -> Option<Request> {
    let (head, mut body) = read_head(client).await?;
    let length = content_length(&head).unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return None;
    }
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);

    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let mut device = None;
    let mut out = format!("{request_line}\r\n");
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        if name.eq_ignore_ascii_case(DEVICE_HEADER) {
            device = Some(value.trim().to_owned());
        } else if !name.eq_ignore_ascii_case("connection")
            && !name.eq_ignore_ascii_case("keep-alive")
        {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    // One request per upstream connection: the server closes it after replying, so the
    // reply is everything up to EOF.
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    let is_push = request_line.starts_with("POST /api/sync/push ");
    Some(Request {
        device,
        is_push,
        bytes,
    })
}

/// Whether `response` is a whole HTTP response (a server killed mid-reply leaves a torn one).
fn is_complete(response: &[u8]) -> bool {
    let Some(end) = find(response, b"\r\n\r\n") else {
        return false;
    };
    let Ok(head) = std::str::from_utf8(&response[..end]) else {
        return false;
    };
    if !head.starts_with("HTTP/1.1 ") {
        return false;
    }
    let body = &response[end + 4..];
    match content_length(head) {
        Some(length) => body.len() == length,
        None if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked") =>
        {
            body.ends_with(b"0\r\n\r\n")
        }
        None => true,
    }
}

/// Sends one request to the server; `None` if it is unreachable or the reply is torn.
async fn forward(shared: &Shared, request: &[u8]) -> Option<Vec<u8>> {
    let port = shared.upstream.load(Ordering::SeqCst);
    if port == 0 {
        return None;
    }
    timeout(IO_TIMEOUT, async {
        let mut server = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        server.write_all(request).await.ok()?;
        let mut response = Vec::new();
        server.read_to_end(&mut response).await.ok()?;
        is_complete(&response).then_some(response)
    })
    .await
    .ok()
    .flatten()
}

async fn answer(shared: &Shared, request: &Request, mut client: TcpStream, reply: Option<Vec<u8>>) {
    let acked_push = request.is_push
        && reply
            .as_deref()
            .is_some_and(|reply| reply.starts_with(b"HTTP/1.1 200 "));
    let bytes = reply.unwrap_or_else(|| {
        format!(
            "HTTP/1.1 502 Bad Gateway\r\n{PROXY_HEADER}: upstream-failed\r\n\
             content-length: 0\r\nconnection: close\r\n\r\n"
        )
        .into_bytes()
    });
    let written = timeout(IO_TIMEOUT, async {
        client.write_all(&bytes).await?;
        client.shutdown().await
    })
    .await;
    if acked_push && matches!(written, Ok(Ok(()))) {
        shared.push_answered.notify_waiters();
    }
}
