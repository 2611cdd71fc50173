//! The sandbox's whole state, behind one lock, and the per-request flow:
//! count, fault, authenticate, route.

use std::collections::HashMap;

use chrono::Utc;
use hyper::StatusCode;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::atlassian::{self, Issued};
use crate::auth::{self, Caller};
use crate::config::{Credentials, SandboxConfig};
use crate::faults::FaultInjector;
use crate::http::{Req, Resp, Service};
use crate::jira_issue_security;
use crate::jira_model::JiraState;
use crate::qwiet;
use crate::qwiet_seed::QwietState;
use crate::security_info::{self, SecurityInfoState};

/// Counters of what the sandbox saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every request received, faulted ones included.
    pub requests: u64,
    /// Requests answered with an injected fault (429, 503 or a dropped
    /// connection, before or after processing).
    pub faults_injected: u64,
    /// Vulnerability ID → every `updateSequenceNumber` accepted for it, in
    /// arrival order (including ones ignored for being older).
    pub vulnerability_deliveries: HashMap<String, Vec<i64>>,
    /// Requests answered `401`.
    pub rejected_auth: u64,
}

/// Everything behind the sandbox's lock.
#[derive(Debug)]
pub(crate) struct State {
    pub credentials: Credentials,
    pub faults: FaultInjector,
    pub stats: Stats,
    pub jira: JiraState,
    pub security_info: SecurityInfoState,
    pub qwiet: QwietState,
    /// Generator for IDs created at run time.
    pub rng: StdRng,
    /// App, system and OAuth tokens the sandbox issued as Atlassian.
    pub issued: Issued,
    /// Scopes of the Connect app.
    pub connect_scopes: Vec<String>,
}

impl State {
    pub fn new(config: &SandboxConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let jira = JiraState::seed(&mut rng, config.jira_level_members);
        let qwiet = QwietState::seed(&mut rng, config.qwiet_findings);
        Self {
            credentials: config.credentials.clone(),
            issued: Issued::default(),
            connect_scopes: config.connect_scopes.clone(),
            faults: FaultInjector::new(config.faults.clone(), config.seed),
            stats: Stats::default(),
            jira,
            security_info: SecurityInfoState::default(),
            qwiet,
            rng,
        }
    }

    /// Authenticates and routes a request that drew no fault.
    pub fn answer(&mut self, req: &Req) -> Resp {
        if let Some(resp) = atlassian::answer(&mut self.issued, req, Utc::now().timestamp()) {
            return resp;
        }
        let service = Service::of(&req.raw_path);
        let known_root = req.raw_path.starts_with("/rest/") || service == Service::Qwiet;
        if !known_root {
            return service.error(StatusCode::NOT_FOUND, "Nothing is served at this path.");
        }
        let caller = match auth::check(req, service, self, Utc::now().timestamp()) {
            Ok(caller) => caller,
            Err((StatusCode::UNAUTHORIZED, reason)) => return self.unauthorized(service, &reason),
            Err((status, reason)) => return service.error(status, &reason),
        };
        let anonymous_allowed =
            service == Service::Jira && jira_issue_security::allows_anonymous(req);
        if caller == Caller::Anonymous && !anonymous_allowed {
            return self.unauthorized(service, "Authentication credentials are missing.");
        }
        let now = Utc::now();
        match service {
            Service::Jira => {
                jira_issue_security::handle(&mut self.jira, req, caller, now.timestamp_millis())
            }
            Service::SecurityInfo => security_info::handle(
                &mut self.security_info,
                req,
                &mut self.stats.vulnerability_deliveries,
                now,
            ),
            Service::Qwiet => qwiet::handle(&mut self.qwiet, req, &mut self.rng),
        }
    }

    fn unauthorized(&mut self, service: Service, reason: &str) -> Resp {
        self.stats.rejected_auth += 1;
        service.error(StatusCode::UNAUTHORIZED, reason)
    }
}
