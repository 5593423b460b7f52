//! A real headless Chromium for the web page's tests, driven over WebDriver
//! (`chromedriver`, Debian's `chromium-driver`) with fantoccini.
//!
//! `Browser::start` spawns chromedriver on a free loopback port, in a process
//! group of its own so that dropping the `Browser` ends the driver and every
//! Chromium process it started (a failing test leaves nothing behind).
//! Screenshots go to `target/screenshots/` in the source tree, where CI keeps
//! them as artifacts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

const DRIVER: &str = "chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Phone-sized by default: the page must work there first.
pub const PHONE: (u32, u32) = (412, 915);

pub struct Browser {
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    /// Headless Chromium at a phone's size (see [`Browser::resize`]).
    pub async fn start() -> Browser {
        let driver_path = which(DRIVER).unwrap_or_else(|| {
            panic!(
                "`{DRIVER}` is not on PATH: install chromium and chromium-driver \
                 (apt-get install chromium chromium-driver; scripts/test.sh does it)"
            )
        });
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install chromium and chromium-driver \
             (apt-get install chromium chromium-driver; scripts/test.sh does it)"
        );
        let port = crate::serve::free_port();
        let log = std::env::temp_dir().join(format!("musicagg-chromedriver-{port}.log"));
        let mut command = Command::new(&driver_path);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(&log).expect("the chromedriver log"),
            ));
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command.spawn().expect("start chromedriver");
        let mut browser = Browser {
            client: None,
            driver,
        };
        let url = format!("http://127.0.0.1:{port}");
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // Chromium refuses to run as root with its sandbox on.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-extensions",
                    format!("--window-size={},{}", PHONE.0, PHONE.1),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal")
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "chromedriver did not start a session: {e}\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        browser.client = Some(client);
        browser
    }

    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("set by start"))
    }

    /// The window's size, e.g. a desktop's for a wide screenshot.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client()
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    /// Saves the page as `target/screenshots/<name>.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client().screenshot().await.expect("a screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("the screenshots folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the session cleanly (the driver is killed on drop anyway).
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium it started.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

/// `target/screenshots/` of the source tree (whatever CARGO_TARGET_DIR is).
pub fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Backend, TestApp};
    use musicagg::Providers;

    /// The harness itself: a page is loaded, read and photographed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_headless_chromium_loads_the_page_and_takes_a_screenshot() {
        let app = TestApp::spawn(Backend::Sqlite, Providers::stand_ins()).await;
        let http = app.http.expect("the web listener");
        let browser = Browser::start().await;
        browser
            .client()
            .goto(&format!("http://{http}/"))
            .await
            .expect("open the page");
        let title = browser.client().title().await.expect("the title");
        assert!(title.contains("musicagg"), "{title}");
        browser.resize(1280, 900).await;
        let path = browser.screenshot("harness-smoke").await;
        let png = std::fs::read(&path).expect("the screenshot file");
        assert!(png.starts_with(b"\x89PNG"), "a PNG file");
        browser.close().await;
        app.stop().await;
    }
}
