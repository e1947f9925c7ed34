//! A TCP listener on 127.0.0.1 standing in for a database server that misbehaves: it refuses
//! (accepts and closes at once), stays silent (accepts and never answers), or forwards to the real
//! server; the mode can change while clients use it. Plain threads, so sync and async tests alike
//! can use it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Refuse,
    Silent,
    Forward,
}

struct State {
    mode: Mode,
    /// Connections held open without a word, and forwarded ones: closed when the listener goes.
    held: Vec<TcpStream>,
}

pub struct Faulty {
    pub addr: SocketAddr,
    upstream: Option<SocketAddr>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Faulty {
    /// A listener in `mode`; `upstream` is where `Forward` connects.
    pub fn start(mode: Mode, upstream: Option<SocketAddr>) -> Faulty {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { mode, held: Vec::new() }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, stopped) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let mode = st.lock().unwrap().mode;
                match (mode, upstream) {
                    (Mode::Refuse, _) | (Mode::Forward, None) => drop(conn),
                    (Mode::Silent, _) => st.lock().unwrap().held.push(conn),
                    (Mode::Forward, Some(up)) => match TcpStream::connect(up) {
                        Ok(server) => {
                            let mut held = st.lock().unwrap();
                            held.held.push(conn.try_clone().unwrap());
                            held.held.push(server.try_clone().unwrap());
                            pipe(conn.try_clone().unwrap(), server.try_clone().unwrap());
                            pipe(server, conn);
                        }
                        Err(_) => drop(conn),
                    },
                }
            }
        });
        Faulty { addr, upstream, state, stop }
    }

    /// A silent server (accepts, never answers): needs no real one.
    pub fn silent() -> Faulty {
        Faulty::start(Mode::Silent, None)
    }

    /// In front of the PostgreSQL server of `url`, in `mode`.
    pub fn in_front_of(url: &str, mode: Mode) -> Faulty {
        Faulty::start(mode, Some(host_port(url).parse().expect("a URL naming 127.0.0.1:PORT")))
    }

    /// Changes the mode for connections made from now on; `Refuse` and `Silent` also cut the
    /// connections open now (the server went away).
    pub fn set(&self, mode: Mode) {
        let mut st = self.state.lock().unwrap();
        st.mode = mode;
        if mode != Mode::Forward {
            for c in st.held.drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }

    /// `url` with its host and port replaced by this listener's.
    pub fn url(&self, url: &str) -> String {
        url.replacen(host_port(url), &self.addr.to_string(), 1)
    }

    pub fn upstream(&self) -> Option<SocketAddr> {
        self.upstream
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.set(Mode::Refuse);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// The `host:port` of a `postgres://user:password@host:port/db` URL.
fn host_port(url: &str) -> &str {
    let after = &url[url.rfind('@').map_or(url.find("//").unwrap() + 2, |i| i + 1)..];
    &after[..after.find('/').unwrap_or(after.len())]
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
