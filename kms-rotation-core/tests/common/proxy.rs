//! The fault-injecting proxy (`scripts/fault_proxy.py`) in front of moto's server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// The proxy process, killed when dropped.
pub struct Proxy {
    child: Child,
    pub url: String,
    /// For HTTPS: the certificate authority that signed the proxy's certificate (PEM).
    pub ca: Option<PathBuf>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Self {
        Self::spawn(upstream, None)
    }

    /// The proxy serving HTTPS on `https://localhost:PORT`, with a certificate for
    /// `localhost` signed by a certificate authority made for it (`ca`), in `dir`.
    pub fn start_tls(upstream: &str, dir: &Path) -> Self {
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("openssl runs");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        std::fs::create_dir_all(dir).unwrap();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        std::fs::write(
            dir.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ]);
        let mut proxy = Self::spawn(upstream, Some(dir));
        proxy.url = proxy.url.replace("http://127.0.0.1", "https://localhost");
        proxy.ca = Some(dir.join("ca.pem"));
        proxy
    }

    fn spawn(upstream: &str, tls: Option<&Path>) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fault_proxy.py");
        let mut command = Command::new("python3");
        command.args([script, "--upstream", upstream, "--port", "0"]);
        if let Some(dir) = tls {
            command.arg("--tls-cert").arg(dir.join("leaf.pem"));
            command.arg("--tls-key").arg(dir.join("leaf.key"));
        }
        let mut child = command
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
            ca: None,
        }
    }

    /// python3 calling the proxy's control endpoints (trusting its CA under HTTPS).
    fn python(&self) -> Command {
        let mut command = Command::new("python3");
        if let Some(ca) = &self.ca {
            command.env("SSL_CERT_FILE", ca);
        }
        command
    }

    /// Replaces the proxy's faults (and clears its call log).
    pub fn set(&self, faults: Value) {
        let status = self
            .python()
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
        let out = self
            .python()
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
