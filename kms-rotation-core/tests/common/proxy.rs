//! The fault-injecting proxy (`scripts/fault_proxy.py`) in front of moto's server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The proxy process, killed when dropped.
pub struct Proxy {
    child: Child,
    pub url: String,
}

impl Proxy {
    pub fn start(upstream: &str) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fault_proxy.py");
        let mut child = Command::new("python3")
            .args([script, "--upstream", upstream, "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fault proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().expect("the proxy prints its port");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Replaces the proxy's faults (and clears its call log).
    pub fn set(&self, faults: Value) {
        let status = Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method='POST')).read()",
                &format!("{}/__faults", self.url),
                &faults.to_string(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The calls the proxy saw since the faults were last set: `{"op", "region", "key", "fault"}`.
    pub fn calls(&self) -> Vec<Value> {
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                &format!("{}/__calls", self.url),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
