//! Installs what a fresh machine of the project's kind lacks (Debian, root, registries only):
//! the wasm32 target, wasm-bindgen-cli at the crate's exact version, geckodriver, Debian's
//! Chromium / chromedriver / Firefox ESR / PostgreSQL, and the npm build tools. One line per
//! step; what is present is reported and skipped. Where it cannot install (not root, no apt),
//! it stops with the exact commands to run.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// geckodriver's pinned version (crates.io).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// What a verb needs set up.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// wasm32 target and wasm-bindgen-cli (building the extension).
    pub wasm: bool,
    /// npm tools: wasm-opt (binaryen) and web-ext.
    pub npm: bool,
    /// Chromium, chromedriver, Firefox ESR, geckodriver.
    pub browsers: bool,
    /// A PostgreSQL server package.
    pub postgres: bool,
    /// The Python tools of the server tests (scim2-tester, schemathesis, aiosmtpd) in a
    /// virtualenv at `target/python`, from `tests/python-requirements.txt`.
    pub python: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        wasm: true,
        npm: true,
        browsers: true,
        postgres: true,
        python: true,
    };
}

/// `cargo xtask setup` (everything the tests need).
#[allow(dead_code)]
pub fn run(_args: &[String]) -> Result<()> {
    ensure(Needs::ALL)?;
    let url = ensure_postgres()?;
    println!("setup: PostgreSQL for the server tests: {url}");
    Ok(())
}

/// The repository root (the workspace holding `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Installs what `needs` asks for and is missing.
pub fn ensure(needs: Needs) -> Result<()> {
    println!("==> setup");
    let started = Instant::now();
    if needs.wasm {
        ensure_wasm_target()?;
        ensure_wasm_bindgen()?;
    }
    if needs.browsers {
        ensure_geckodriver()?;
    }
    let mut packages: Vec<&str> = Vec::new();
    if needs.browsers {
        for (path, package) in [
            ("/usr/bin/chromium", "chromium"),
            ("/usr/bin/chromedriver", "chromium-driver"),
            ("/usr/bin/firefox-esr", "firefox-esr"),
        ] {
            if Path::new(path).is_file() {
                println!("setup: {package}: present ({path})");
            } else {
                packages.push(package);
            }
        }
    }
    if needs.postgres {
        match postgres_bin_dir() {
            Some(dir) if Path::new("/usr/bin/pg_ctlcluster").is_file() => {
                println!("setup: postgresql: present ({})", dir.display());
            }
            _ => packages.push("postgresql"),
        }
    }
    if needs.python && !python_has_venv() {
        packages.push("python3-venv");
    }
    apt_install(&packages)?;
    if needs.npm {
        ensure_npm_tools()?;
    }
    if needs.python {
        ensure_python_tools()?;
    }
    println!("setup: done in {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let installed = output_of("rustup", &["target", "list", "--installed"]).with_context(|| {
        "rustup is needed to add the wasm32 target: install Rust with rustup (https://rustup.rs), \
         then run `rustup target add wasm32-unknown-unknown`"
    })?;
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("setup: rust target wasm32-unknown-unknown: present");
        return Ok(());
    }
    println!("setup: rust target wasm32-unknown-unknown: adding (rustup target add)");
    run_tool(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The exact wasm-bindgen version pinned in the root Cargo.toml (`wasm-bindgen = "=X"`).
pub fn pinned_wasm_bindgen_version() -> Result<String> {
    let path = repo_root().join("Cargo.toml");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("wasm-bindgen") && line.contains('='))
        .find_map(|line| {
            let value = line.split_once('=')?.1;
            let start = value.find("\"=")? + 2;
            let rest = &value[start..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .ok_or_else(|| {
            anyhow!(
                "{} has no exact pin `wasm-bindgen = \"=X.Y.Z\"`: wasm-bindgen-cli must match it, \
                 so pin it there",
                path.display()
            )
        })
}

fn ensure_wasm_bindgen() -> Result<()> {
    let version = pinned_wasm_bindgen_version()?;
    let found = find_program("wasm-bindgen")
        .and_then(|bin| output_of(&bin.to_string_lossy(), &["--version"]).ok());
    match found {
        Some(v) if v.split_whitespace().nth(1) == Some(version.as_str()) => {
            println!("setup: wasm-bindgen-cli {version}: present");
            return Ok(());
        }
        Some(v) => println!(
            "setup: wasm-bindgen-cli: found `{}`, need {version}: installing (cargo install, a few minutes)",
            v.trim()
        ),
        None => println!(
            "setup: wasm-bindgen-cli {version}: installing (cargo install, a few minutes)"
        ),
    }
    // No --locked: the registry mirror lacks a version its lock file names.
    run_tool(Command::new(cargo()).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))
}

fn ensure_geckodriver() -> Result<()> {
    if let Some(bin) = find_program("geckodriver") {
        let version = output_of(&bin.to_string_lossy(), &["--version"]).unwrap_or_default();
        let first = version.lines().next().unwrap_or("geckodriver").trim();
        println!("setup: geckodriver: present ({first})");
        return Ok(());
    }
    println!("setup: geckodriver {GECKODRIVER_VERSION}: installing (cargo install, a few minutes)");
    run_tool(Command::new(cargo()).args([
        "install",
        "geckodriver",
        "--version",
        GECKODRIVER_VERSION,
    ]))
}

pub fn apt_install(packages: &[&str]) -> Result<()> {
    if packages.is_empty() {
        return Ok(());
    }
    let list = packages.join(" ");
    let is_root = output_of("id", &["-u"])
        .map(|u| u.trim() == "0")
        .unwrap_or(false);
    if !is_root || find_program("apt-get").is_none() {
        bail!(
            "missing Debian packages: {list}. Install them, then run this again:\n  \
             sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y {list}"
        );
    }
    println!("setup: apt-get update");
    run_tool(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    println!("setup: apt-get install -y {list}");
    run_tool(
        Command::new("apt-get")
            .args(["install", "-y"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn ensure_npm_tools() -> Result<()> {
    let root = repo_root();
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules").join(".package-lock.json");
    let fresh = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => installed >= lock,
        _ => false,
    };
    let tools_present = ["wasm-opt", "web-ext"]
        .iter()
        .all(|t| root.join("node_modules").join(".bin").join(t).exists());
    if fresh && tools_present {
        println!("setup: npm tools (binaryen, web-ext): present (node_modules)");
        return Ok(());
    }
    if find_program("npm").is_none() {
        bail!(
            "npm is needed for wasm-opt (binaryen) and web-ext: install Node.js and npm \
             (e.g. `apt-get install -y nodejs npm`), then run this again"
        );
    }
    println!("setup: npm ci (binaryen, web-ext)");
    run_tool(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&root),
    )
}

/// The virtualenv's Python, which the server tests get as `SALESPANE_TEST_PYTHON`.
pub fn test_python() -> PathBuf {
    repo_root()
        .join("target")
        .join("python")
        .join("bin")
        .join("python")
}

fn python_has_venv() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Creates `target/python` and installs the pinned requirements into it; skipped when the
/// installed set is the one the requirements file names (a copy of it is kept beside).
fn ensure_python_tools() -> Result<()> {
    let root = repo_root();
    let requirements = root.join("tests").join("python-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let venv = root.join("target").join("python");
    let stamp = venv.join("installed-requirements.txt");
    let python = test_python();
    if python.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|had| had == wanted) {
        println!("setup: Python test tools: present ({})", venv.display());
        return Ok(());
    }
    if find_program("python3").is_none() {
        bail!(
            "python3 is needed for the SCIM and API conformance tools: `apt-get install -y python3 python3-venv`, then run this again"
        );
    }
    if !python.is_file() {
        println!("setup: python3 -m venv {}", venv.display());
        run_tool(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    }
    println!("setup: pip install -r {}", requirements.display());
    run_tool(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Starts the machine's PostgreSQL cluster (creating it if absent), makes sure the role
/// `salespane` (password `salespane`, CREATEDB) exists, and returns an admin URL from which
/// the server tests create their own databases.
pub fn ensure_postgres() -> Result<String> {
    let is_root = output_of("id", &["-u"])
        .map(|u| u.trim() == "0")
        .unwrap_or(false);
    let Some(bin_dir) = postgres_bin_dir() else {
        bail!(
            "PostgreSQL is not installed: run `cargo xtask test` as root (it installs it) or \
             `sudo apt-get install -y postgresql`"
        );
    };
    let version = bin_dir
        .parent()
        .and_then(|p| p.file_name())
        .map(|v| v.to_string_lossy().to_string())
        .ok_or_else(|| anyhow!("unexpected PostgreSQL layout: {}", bin_dir.display()))?;
    if !is_root {
        bail!(
            "starting PostgreSQL needs root. Run, then set SALESPANE_TEST_POSTGRES_URL yourself:\n  \
             sudo pg_ctlcluster {version} main start\n  \
             sudo runuser -u postgres -- psql -c \"CREATE ROLE salespane LOGIN PASSWORD 'salespane' CREATEDB\""
        );
    }
    let clusters = output_of("pg_lsclusters", &["-h"])?;
    let main = clusters.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() >= 4 && fields[0] == version && fields[1] == "main")
            .then(|| (fields[2].to_string(), fields[3].to_string()))
    });
    let (port, status) = match main {
        Some(found) => found,
        None => {
            println!("setup: postgresql: creating cluster {version}/main (pg_createcluster)");
            run_tool(Command::new("pg_createcluster").args([&version, "main"]))?;
            let clusters = output_of("pg_lsclusters", &["-h"])?;
            clusters
                .lines()
                .find_map(|line| {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    (f.len() >= 4 && f[0] == version && f[1] == "main")
                        .then(|| (f[2].to_string(), f[3].to_string()))
                })
                .ok_or_else(|| anyhow!("pg_createcluster {version} main made no cluster"))?
        }
    };
    if status.starts_with("online") {
        println!("setup: postgresql {version}/main: running on port {port}");
    } else {
        println!("setup: postgresql {version}/main: starting (pg_ctlcluster) on port {port}");
        run_tool(Command::new("pg_ctlcluster").args([&version, "main", "start"]))?;
    }
    wait_until_ready(&port)?;
    let sql = "DO $$ BEGIN \
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'salespane') THEN \
           CREATE ROLE salespane LOGIN PASSWORD 'salespane' CREATEDB; \
         ELSE ALTER ROLE salespane LOGIN PASSWORD 'salespane' CREATEDB; END IF; END $$;";
    let status = Command::new("runuser")
        .args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-p", &port, "-c", sql])
        .stdout(Stdio::null())
        .status()
        .context("running psql as the postgres user (runuser)")?;
    if !status.success() {
        bail!("creating the PostgreSQL role `salespane` failed (psql exited with {status})");
    }
    println!("setup: postgresql role salespane: ready");
    Ok(format!(
        "postgres://salespane:salespane@127.0.0.1:{port}/postgres"
    ))
}

fn wait_until_ready(port: &str) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let ready = Command::new("pg_isready")
            .args(["-q", "-h", "127.0.0.1", "-p", port])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ready {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    bail!("PostgreSQL did not accept connections on 127.0.0.1:{port} within 30s: see /var/log/postgresql/")
}

/// `/usr/lib/postgresql/<newest version>/bin`, if a server is installed.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The cargo that runs this xtask.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Finds a program on PATH or in cargo's bin folder (where `cargo install` puts tools).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        dirs.push(home.join("bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn output_of(program: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .with_context(|| format!("running `{program}`"))?;
    if !output.status.success() {
        bail!(
            "`{program} {}` exited with {}",
            args.join(" "),
            output.status
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs a set-up tool with inherited output; fails with the command line if it fails.
fn run_tool(command: &mut Command) -> Result<()> {
    let line = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {line}"))?;
    if !status.success() {
        bail!("{line} exited with {status}");
    }
    Ok(())
}
