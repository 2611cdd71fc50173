//! `appsec-bench`: what the SDK costs next to the bare minimum, printed as
//! Markdown tables. Nothing here asserts on timings.
//!
//! ```text
//! cargo run --release -p appsec-bench            # full sizes (about 90 s)
//! cargo run -p appsec-bench -- --smoke           # tiny sizes, a few seconds, for CI
//! cargo run --release -p appsec-bench -- --only overhead,jwt
//! ```
//!
//! Sections: `memory` (runs first, while the process is fresh), `jwt`,
//! `decoding`, `overhead`, `pagination`, `ratelimit`. With `--features peers`, the
//! overhead and pagination sections also time the `jira` and `gouqi` crates.

mod decoding;
mod jwt;
mod memory;
mod overhead;
mod pagination;
#[cfg(feature = "peers")]
mod peers;
mod ratelimit;
mod report;
mod server;
mod stats;

use std::process::ExitCode;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SECTIONS: [&str; 6] = [
    "memory",
    "jwt",
    "decoding",
    "overhead",
    "pagination",
    "ratelimit",
];

/// Sizes of every measurement.
#[derive(Debug, Clone)]
struct Plan {
    smoke: bool,
    sections: Vec<&'static str>,
    memory_items: usize,
    memory_checkpoints: Vec<usize>,
    jwt: jwt::Sizes,
    decoding: decoding::Sizes,
    overhead: overhead::Sizes,
    pagination: pagination::Sizes,
    ratelimit: ratelimit::Sizes,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            smoke: false,
            sections: SECTIONS.to_vec(),
            memory_items: 200_000,
            memory_checkpoints: vec![10_000, 100_000, 200_000],
            jwt: jwt::Sizes {
                per_batch: 5_000,
                batches: 40,
            },
            decoding: decoding::Sizes {
                per_batch: 20,
                batches: 40,
            },
            overhead: overhead::Sizes {
                warmup: 300,
                rounds: 4000,
                calls_per_round: 1,
            },
            pagination: pagination::Sizes {
                members: 10_000,
                delay_ms: 20,
                repeats: 3,
            },
            ratelimit: ratelimit::Sizes {
                vulnerabilities: 20_000,
                members: 10_000,
                quota_points: 2_500,
                window: std::time::Duration::from_secs(5),
            },
        }
    }

    fn smoke() -> Plan {
        Plan {
            smoke: true,
            sections: SECTIONS.to_vec(),
            memory_items: 2_000,
            memory_checkpoints: vec![250, 1_000, 2_000],
            jwt: jwt::Sizes {
                per_batch: 200,
                batches: 5,
            },
            decoding: decoding::Sizes {
                per_batch: 2,
                batches: 3,
            },
            overhead: overhead::Sizes {
                warmup: 10,
                rounds: 4,
                calls_per_round: 10,
            },
            pagination: pagination::Sizes {
                members: 500,
                delay_ms: 20,
                repeats: 1,
            },
            ratelimit: ratelimit::Sizes {
                vulnerabilities: 400,
                members: 500,
                quota_points: 300,
                window: std::time::Duration::from_secs(1),
            },
        }
    }

    fn runs(&self, section: &str) -> bool {
        self.sections.contains(&section)
    }
}

fn parse_args(args: &[String]) -> Result<Plan, String> {
    let mut plan = Plan::full();
    let mut only: Option<Vec<&'static str>> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--smoke" => plan = Plan::smoke(),
            "--only" => {
                let list = args.next().ok_or("--only needs a list of sections")?;
                let mut picked = Vec::new();
                for name in list.split(',') {
                    let section = SECTIONS
                        .iter()
                        .find(|s| **s == name.trim())
                        .ok_or_else(|| format!("unknown section {name:?}; one of {SECTIONS:?}"))?;
                    picked.push(*section);
                }
                only = Some(picked);
            }
            "-h" | "--help" => {
                return Err(format!(
                    "usage: appsec-bench [--smoke] [--only SECTION,...]\nsections: {}",
                    SECTIONS.join(", ")
                ));
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    if let Some(only) = only {
        plan.sections = only;
    }
    Ok(plan)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(memory::SERVE_FLAG) {
        let findings = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(2_000);
        return exit(memory::serve_sandbox(findings));
    }
    let plan = match parse_args(&args) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    exit(run(&plan))
}

fn exit(result: Result<(), BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("appsec-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(plan: &Plan) -> Result<(), BoxError> {
    let started = Instant::now();
    println!(
        "# appsec-bench: {} sizes, {} build\n",
        if plan.smoke { "smoke" } else { "full" },
        if cfg!(debug_assertions) {
            "debug (figures are not representative; use --release)"
        } else {
            "release"
        }
    );
    let mut targets = report::Targets::default();
    // The bench builds plain reqwest clients too, not only the SDK's.
    appsec_sdk::tls::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new()?;

    if plan.runs("memory") {
        let result = runtime.block_on(memory::run(plan.memory_items, &plan.memory_checkpoints))?;
        report::memory(&result, &mut targets);
    }
    if plan.runs("jwt") {
        report::jwt(&jwt::run(plan.jwt)?, &mut targets);
    }
    if plan.runs("decoding") {
        let page = runtime.block_on(decoding::sample_page())?;
        report::decoding(&decoding::run(&page, plan.decoding)?);
    }
    if plan.runs("overhead") {
        report::overhead(&overhead::run(plan.overhead)?, &mut targets);
    }
    if plan.runs("pagination") {
        let result = runtime.block_on(pagination::run(plan.pagination))?;
        report::pagination(&result, &mut targets);
    }
    if plan.runs("ratelimit") {
        let results = runtime.block_on(ratelimit::run(plan.ratelimit))?;
        ratelimit::print(plan.ratelimit, &results);
        report::ratelimit(&results, &mut targets);
    }
    targets.print();
    println!("Total time: {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
