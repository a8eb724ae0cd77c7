//! Reads security group rules through aws-sdk-ec2 (feature `aws-audit`).
//!
//! Configuration comes from [`AwsSettings`] on top of the standard AWS chain (environment, shared config and
//! credentials files, SSO, `credential_process`, web identity, container and instance roles), with an optional
//! role assumed through STS. Per group: `DescribeSecurityGroups` confirms the group exists (a rule filter on an
//! unknown group would just return nothing), then `DescribeSecurityGroupRules` filtered by `group-id`, page by
//! page. Retries are the SDK's standard mode; every call has explicit timeouts, answers have a size limit, the
//! whole read has a deadline, and a stop signal ends it at once. Nothing here writes to EC2, and credentials are
//! neither logged nor returned.

use super::compare::ObservedPeer;
use super::{AwsSettings, ObservedRule, ReadError, AUDIT_DEADLINE};
use crate::targets::aws::Direction;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, ProvideCredentials, RuntimeComponents};
use aws_sdk_ec2::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, SecurityGroupRule};
use aws_sdk_ec2::Client;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Attempts per call (the SDK's standard retry mode backs off between them).
const MAX_ATTEMPTS: u32 = 3;
/// Time to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for one attempt of a call.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// Time for a call, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Rules per page of `DescribeSecurityGroupRules` (the API's maximum).
const PAGE_SIZE: i32 = 1000;
/// The largest answer read. A full page of 1000 rules is about 600 KB of XML; anything near this limit is not
/// an EC2 answer, and parsing hundreds of megabytes would hold a thread for tens of seconds.
const MAX_ANSWER_BYTES: u64 = 16 << 20;
/// Shows in CloudTrail as the session of an assumed role.
const SESSION_NAME: &str = "portmatrix-audit";

const DESCRIBE_GROUPS: &str = "DescribeSecurityGroups";
const DESCRIBE_RULES: &str = "DescribeSecurityGroupRules";

/// [`read_groups`] with the standard AWS chain, bounded by [`AUDIT_DEADLINE`] and `stop`.
pub(super) fn read_groups_blocking(
    settings: &AwsSettings,
    groups: &BTreeMap<String, String>,
    stop: &CancellationToken,
) -> Result<Vec<ObservedRule>, Vec<ReadError>> {
    tracing::debug!(groups = groups.len(), "reading security groups from EC2");
    let loader = aws_config::defaults(BehaviorVersion::latest());
    on_own_runtime(read_groups(loader, settings, groups), stop, AUDIT_DEADLINE)
}

/// Runs `read` on a runtime of its own, on a thread of its own, so that any caller can block on it, inside an
/// async runtime (the CLI) or not (the provider, which runs the audit on a thread of its own too); gives up when `stop` fires or `deadline` passes.
fn on_own_runtime(
    read: impl Future<Output = Result<Vec<ObservedRule>, Vec<ReadError>>> + Send,
    stop: &CancellationToken,
    deadline: Duration,
) -> Result<Vec<ObservedRule>, Vec<ReadError>> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // The SDK's and hyper's own traces can carry request headers, session tokens among them: none of
                // them may reach Terraform's logs, so this thread logs nothing.
                let _silence =
                    tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|error| {
                        vec![configuration_error(
                            format!("cannot start the async runtime: {error}"),
                            String::new(),
                        )]
                    })?;
                let result = runtime.block_on(async {
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => Err(vec![stopped_error(
                            "cancelled: Terraform asked the provider to stop (Ctrl-C) before the security groups \
                             were read.",
                            "",
                        )]),
                        read = tokio::time::timeout(deadline, read) => read.unwrap_or_else(|_| {
                            Err(vec![stopped_error(
                                &format!(
                                    "reading the security groups took longer than {} s, the limit for a whole audit.",
                                    deadline.as_secs()
                                ),
                                "Check the endpoint (endpoint_url, region) and the network, or audit fewer groups \
                                 per data source.",
                            )])
                        }),
                    }
                });
                // A call still in flight (a connection that never answers, a DNS lookup) must not hold us.
                runtime.shutdown_background();
                result
            })
            .join()
            .unwrap_or_else(|_| {
                Err(vec![configuration_error(
                    "the EC2 client stopped unexpectedly".into(),
                    "This is a bug in portmatrix; please report it.".into(),
                )])
            })
    })
}

/// An audit that ended before every group was read.
fn stopped_error(message: &str, hint: &str) -> ReadError {
    ReadError {
        tier: None,
        group_id: None,
        call: "reading security groups".into(),
        message: message.into(),
        hint: hint.into(),
    }
}

fn configuration_error(message: String, hint: String) -> ReadError {
    ReadError {
        tier: None,
        group_id: None,
        call: "configuration".into(),
        message,
        hint,
    }
}

/// An EC2 client: `loader` (the standard chain) with the settings, retries and timeouts applied.
async fn client(loader: ConfigLoader, settings: &AwsSettings) -> Result<Client, ReadError> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let mut loader = loader
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(timeouts);
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        // A profile named explicitly is the only source of credentials: the default chain would look at the
        // environment first and silently audit as whoever AWS_ACCESS_KEY_ID belongs to.
        let credentials = ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build();
        // Asked once here, so that a missing or broken profile is one error naming it, not a failed call.
        if let Err(error) = credentials.provide_credentials().await {
            return Err(configuration_error(
                format!("profile {profile:?} gives no credentials: {}", chain(&error)),
                "Define the profile in the shared config or credentials file (~/.aws/config, \
                 ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), or leave `profile` \
                 unset to use the standard credential chain."
                    .into(),
            ));
        }
        loader = loader
            .profile_name(profile)
            .credentials_provider(credentials);
    }
    let base = loader.load().await;
    if base.region().is_none() {
        return Err(configuration_error(
            "no AWS region is configured.".into(),
            "Set `region` in the provider's aws block (--region on the command line), AWS_REGION, or the \
             profile's region."
                .into(),
        ));
    }
    let mut config =
        aws_sdk_ec2::config::Builder::from(&base).interceptor(AnswerSizeLimit(MAX_ANSWER_BYTES));
    if let Some(arn) = &settings.assume_role_arn {
        let role = aws_config::sts::AssumeRoleProvider::builder(arn)
            .session_name(SESSION_NAME)
            .configure(&base)
            .build()
            .await;
        config = config.credentials_provider(role);
    }
    // Only EC2 goes to the custom endpoint: STS (for assume_role_arn) stays AWS's.
    if let Some(url) = &settings.endpoint_url {
        config = config.endpoint_url(url);
    }
    Ok(Client::from_conf(config.build()))
}

/// Refuses answers whose declared length exceeds the limit, before the SDK reads and parses them.
#[derive(Debug)]
struct AnswerSizeLimit(u64);

impl Intercept for AnswerSizeLimit {
    fn name(&self) -> &'static str {
        "AnswerSizeLimit"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let declared = context
            .response()
            .headers()
            .get("content-length")
            .and_then(|length| length.parse::<u64>().ok());
        match declared {
            Some(length) if length > self.0 => Err(format!(
                "the answer is {length} bytes, more than the {} MiB an EC2 answer can plausibly be; the endpoint \
                 is not EC2",
                self.0 >> 20
            )
            .into()),
            _ => Ok(()),
        }
    }
}

/// Reads every group; a group that cannot be read gives an error and the others are still read, unless the
/// endpoint or the credentials failed, which would fail the same way for every group.
async fn read_groups(
    loader: ConfigLoader,
    settings: &AwsSettings,
    groups: &BTreeMap<String, String>,
) -> Result<Vec<ObservedRule>, Vec<ReadError>> {
    let client = client(loader, settings)
        .await
        .map_err(|error| vec![error])?;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (tier, group_id) in groups {
        match read_group(&client, tier, group_id).await {
            Ok(found) => rules.extend(found),
            Err(Failure { error, for_all }) => {
                errors.push(error);
                if for_all {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// A failed call, and whether it would fail alike for every group (endpoint, credentials).
struct Failure {
    error: ReadError,
    for_all: bool,
}

async fn read_group(
    client: &Client,
    tier: &str,
    group_id: &str,
) -> Result<Vec<ObservedRule>, Failure> {
    client
        .describe_security_groups()
        .group_ids(group_id)
        .send()
        .await
        .map_err(|error| failure(tier, group_id, DESCRIBE_GROUPS, error))?;
    let mut pages = client
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .max_results(PAGE_SIZE)
        .into_paginator()
        .items()
        .send();
    let mut rules = Vec::new();
    while let Some(item) = pages.next().await {
        let rule = item.map_err(|error| failure(tier, group_id, DESCRIBE_RULES, error))?;
        rules.extend(observed(&rule, group_id));
    }
    Ok(rules)
}

/// The audit's view of one rule; `None` for a rule naming no peer, which EC2 never returns (every rule has a
/// CIDR block, a prefix list or a referenced group).
fn observed(rule: &SecurityGroupRule, group_id: &str) -> Option<ObservedRule> {
    let peer = if let Some(cidr) = rule.cidr_ipv4() {
        ObservedPeer::Ipv4(cidr.to_string())
    } else if let Some(cidr) = rule.cidr_ipv6() {
        ObservedPeer::Ipv6(cidr.to_string())
    } else if let Some(id) = rule.prefix_list_id() {
        ObservedPeer::PrefixList(id.to_string())
    } else {
        ObservedPeer::Group(rule.referenced_group_info()?.group_id()?.to_string())
    };
    Some(ObservedRule {
        rule_id: rule
            .security_group_rule_id()
            .unwrap_or_default()
            .to_string(),
        group_id: rule.group_id().unwrap_or(group_id).to_string(),
        direction: if rule.is_egress() == Some(true) {
            Direction::Egress
        } else {
            Direction::Ingress
        },
        ip_protocol: rule.ip_protocol().unwrap_or("-1").to_string(),
        from_port: rule.from_port().map(i64::from),
        to_port: rule.to_port().map(i64::from),
        peer,
    })
}

fn failure<E>(tier: &str, group_id: &str, call: &str, error: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (message, hint, for_all) = match &error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) => {
                let text = service.err().message().unwrap_or_default();
                let (hint, for_all) = service_hint(code, tier);
                (format!("{code}: {text}"), hint, for_all)
            }
            None => (
                format!(
                    "the endpoint answered HTTP {} with a body that is not an EC2 error ({}).",
                    service.raw().status().as_u16(),
                    answer_excerpt(service.raw())
                ),
                "Check that endpoint_url (or the region's default endpoint) is an EC2 API.".to_string(),
                true,
            ),
        },
        SdkError::ResponseError(response) => (
            format!(
                "the endpoint answered HTTP {} with a body that is not an EC2 answer ({}): {}",
                response.raw().status().as_u16(),
                answer_excerpt(response.raw()),
                chain(&error)
            ),
            "Check that endpoint_url (or the region's default endpoint) is an EC2 API.".to_string(),
            true,
        ),
        SdkError::TimeoutError(_) => (
            format!("no answer in time: {}", chain(&error)),
            "Check the endpoint (endpoint_url, region) and the network; the other groups were not read."
                .to_string(),
            true,
        ),
        _ => (
            chain(&error),
            "Check the endpoint (endpoint_url, region), the network, and that the AWS credential chain \
             (environment, profile, SSO, container or instance role) provides credentials; the other groups \
             were not read."
                .to_string(),
            true,
        ),
    };
    Failure {
        error: ReadError {
            tier: Some(tier.to_string()),
            group_id: Some(group_id.to_string()),
            call: call.to_string(),
            message,
            hint,
        },
        for_all,
    }
}

/// The start of an answer's body, for people: at most 80 characters, or its size when it is not text.
fn answer_excerpt(response: &HttpResponse) -> String {
    let Some(bytes) = response.body().bytes() else {
        return "a streamed body".to_string();
    };
    match std::str::from_utf8(bytes) {
        Ok("") => "an empty body".to_string(),
        Ok(text) => {
            let excerpt: String = text.chars().take(80).collect();
            let more = if excerpt.len() < text.len() {
                "…"
            } else {
                ""
            };
            format!("{:?}{more}", excerpt)
        }
        Err(_) => format!("{} bytes of binary data", bytes.len()),
    }
}

/// An error and its sources, `: `-separated, without the SDK's debug dump.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

/// How to fix a service error, and whether it would fail alike for every group.
fn service_hint(code: &str, tier: &str) -> (String, bool) {
    match code {
        "InvalidGroup.NotFound" | "InvalidGroupId.NotFound" | "InvalidGroupId.Malformed" => (
            format!(
                "Check the security group given for tier {tier:?}: it must exist in the account and region \
                 being read."
            ),
            false,
        ),
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => (
            "The credentials need the read-only permissions ec2:DescribeSecurityGroups and \
             ec2:DescribeSecurityGroupRules."
                .to_string(),
            true,
        ),
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "RequestExpired"
        | "UnrecognizedClientException" => (
            "EC2 refused the credentials: check the credential chain, the profile and assume_role_arn."
                .to_string(),
            true,
        ),
        _ => (String::new(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::ReferencedSecurityGroup;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};

    /// Answers one EC2 query-protocol request body with an HTTP status and XML.
    type Answer = fn(&str) -> (u16, String);

    /// A stand-in EC2 endpoint on loopback that answers from `answer` and records every request body, to check
    /// what the client sends (paging, filters, read-only calls) and how it takes errors.
    struct FakeEc2 {
        url: String,
        requests: Arc<Mutex<Vec<String>>>,
    }

    impl FakeEc2 {
        fn start(answer: Answer) -> FakeEc2 {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            let requests = Arc::new(Mutex::new(Vec::new()));
            let log = Arc::clone(&requests);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let log = Arc::clone(&log);
                    std::thread::spawn(move || serve(stream, answer, &log));
                }
            });
            FakeEc2 { url, requests }
        }

        fn actions(&self) -> Vec<String> {
            self.requests
                .lock()
                .expect("log")
                .iter()
                .filter_map(|body| {
                    body.split('&')
                        .find_map(|pair| pair.strip_prefix("Action="))
                        .map(str::to_string)
                })
                .collect()
        }
    }

    /// Serves HTTP/1.1 requests on one connection until the client closes it.
    fn serve(stream: TcpStream, answer: Answer, log: &Mutex<Vec<String>>) {
        let Ok(mut writer) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            let mut length = 0;
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let body = String::from_utf8_lossy(&body).into_owned();
            let (status, xml) = answer(&body);
            log.lock().expect("log").push(body);
            let response = format!(
                "HTTP/1.1 {status} Fake\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{xml}",
                xml.len()
            );
            if writer.write_all(response.as_bytes()).is_err() {
                return;
            }
        }
    }

    fn error_xml(code: &str, message: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>\
             <Message>{message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>"
        )
    }

    fn rule_item(id: &str, group: &str, port: u16) -> String {
        format!(
            "<item><securityGroupRuleId>{id}</securityGroupRuleId><groupId>{group}</groupId>\
             <isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>{port}</fromPort>\
             <toPort>{port}</toPort><cidrIpv4>10.0.0.0/8</cidrIpv4></item>"
        )
    }

    /// sg-1 exists and has two rules, on two pages; every other group is unknown.
    fn two_pages(body: &str) -> (u16, String) {
        const NS: &str = "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"";
        if body.contains("Action=DescribeSecurityGroups&") {
            return if body.contains("GroupId.1=sg-1") {
                (
                    200,
                    format!(
                        "<DescribeSecurityGroupsResponse {NS}><requestId>r</requestId><securityGroupInfo>\
                         <item><groupId>sg-1</groupId></item></securityGroupInfo></DescribeSecurityGroupsResponse>"
                    ),
                )
            } else {
                (
                    400,
                    error_xml("InvalidGroup.NotFound", "The security group does not exist"),
                )
            };
        }
        let (item, next) = if body.contains("NextToken=page2") {
            (rule_item("sgr-2", "sg-1", 443), String::new())
        } else {
            (
                rule_item("sgr-1", "sg-1", 22),
                "<nextToken>page2</nextToken>".to_string(),
            )
        };
        (
            200,
            format!(
                "<DescribeSecurityGroupRulesResponse {NS}><requestId>r</requestId>\
                 <securityGroupRuleSet>{item}</securityGroupRuleSet>{next}</DescribeSecurityGroupRulesResponse>"
            ),
        )
    }

    fn denied(_: &str) -> (u16, String) {
        (
            403,
            error_xml(
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
        )
    }

    /// Never answers (the connection stays open).
    fn silent(_: &str) -> (u16, String) {
        std::thread::sleep(Duration::from_secs(600));
        (500, String::new())
    }

    fn garbage(_: &str) -> (u16, String) {
        (200, "<html>Service Unavailable</html>".into())
    }

    fn empty_error(_: &str) -> (u16, String) {
        (500, String::new())
    }

    /// A well-formed answer of 17 MiB (whitespace inside the XML).
    fn huge(_: &str) -> (u16, String) {
        let padding = " ".repeat(17 << 20);
        (
            200,
            format!("<DescribeSecurityGroupsResponse>{padding}</DescribeSecurityGroupsResponse>"),
        )
    }

    fn settings(url: &str) -> AwsSettings {
        AwsSettings {
            region: Some("us-east-1".into()),
            endpoint_url: Some(url.to_string()),
            ..AwsSettings::default()
        }
    }

    fn groups(groups: &[(&str, &str)]) -> BTreeMap<String, String> {
        groups
            .iter()
            .map(|(t, g)| (t.to_string(), g.to_string()))
            .collect()
    }

    /// The loader of every test: the host's AWS environment and files stay out.
    fn test_loader() -> ConfigLoader {
        aws_config::defaults(BehaviorVersion::latest())
            .empty_test_environment()
            .test_credentials()
    }

    /// [`read_groups`] as the audit runs it, bounded by `stop` and `deadline`.
    fn bounded_read(
        url: &str,
        stop: &CancellationToken,
        deadline: Duration,
    ) -> (Result<Vec<ObservedRule>, Vec<ReadError>>, Duration) {
        let settings = settings(url);
        let groups = groups(&[("master", "sg-1")]);
        let started = std::time::Instant::now();
        let result = on_own_runtime(
            read_groups(test_loader(), &settings, &groups),
            stop,
            deadline,
        );
        (result, started.elapsed())
    }

    fn read(url: &str, groups: &[(&str, &str)]) -> Result<Vec<ObservedRule>, Vec<ReadError>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(read_groups(
            test_loader(),
            &settings(url),
            &self::groups(groups),
        ))
    }

    #[test]
    fn a_stop_ends_a_read_that_waits_for_an_answer() {
        let ec2 = FakeEc2::start(silent);
        let stop = CancellationToken::new();
        let trigger = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            trigger.cancel();
        });
        let (result, took) = bounded_read(&ec2.url, &stop, AUDIT_DEADLINE);
        let errors = result.unwrap_err();
        assert!(errors[0].message.starts_with("cancelled"), "{errors:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn the_whole_read_has_a_deadline() {
        let ec2 = FakeEc2::start(silent);
        let deadline = Duration::from_millis(500);
        let (result, took) = bounded_read(&ec2.url, &CancellationToken::new(), deadline);
        let errors = result.unwrap_err();
        assert!(errors[0].message.contains("took longer than"), "{errors:?}");
        assert!(took < ATTEMPT_TIMEOUT, "{took:?}");
    }

    #[test]
    fn an_answer_that_is_not_ec2_says_what_came_back() {
        let ec2 = FakeEc2::start(garbage);
        let errors = read(&ec2.url, &[("master", "sg-1")]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].message.contains("HTTP 200")
                && errors[0].message.contains("<html>Service Unavailable"),
            "{errors:?}"
        );
        assert!(errors[0].hint.contains("endpoint_url"), "{errors:?}");
        let ec2 = FakeEc2::start(empty_error);
        let errors = read(&ec2.url, &[("master", "sg-1")]).unwrap_err();
        assert!(
            errors[0].message.contains("HTTP 500") && errors[0].message.contains("empty body"),
            "{errors:?}"
        );
        assert!(!errors[0].message.contains("unknown error"), "{errors:?}");
    }

    #[test]
    fn an_oversized_answer_is_refused_unread() {
        let ec2 = FakeEc2::start(huge);
        let errors = read(&ec2.url, &[("master", "sg-1")]).unwrap_err();
        assert!(
            errors[0].message.contains("more than the 16 MiB"),
            "{errors:?}"
        );
    }

    #[test]
    fn rules_are_read_page_by_page_with_describe_calls_only() {
        let ec2 = FakeEc2::start(two_pages);
        let rules = read(&ec2.url, &[("master", "sg-1")]).expect("rules");
        let ids: Vec<&str> = rules.iter().map(|r| r.rule_id.as_str()).collect();
        assert_eq!(ids, ["sgr-1", "sgr-2"]);
        assert_eq!(
            ec2.actions(),
            [
                "DescribeSecurityGroups",
                "DescribeSecurityGroupRules",
                "DescribeSecurityGroupRules"
            ]
        );
        let requests = ec2.requests.lock().expect("log").clone();
        assert!(
            requests[1].contains("Filter.1.Name=group-id")
                && requests[1].contains("Filter.1.Value.1=sg-1"),
            "{}",
            requests[1]
        );
        assert!(requests[2].contains("NextToken=page2"), "{}", requests[2]);
    }

    #[test]
    fn a_missing_group_is_an_error_naming_it_and_the_others_are_still_read() {
        let ec2 = FakeEc2::start(two_pages);
        let errors = read(&ec2.url, &[("master", "sg-1"), ("worker", "sg-404")]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].tier.as_deref(), Some("worker"));
        assert_eq!(errors[0].group_id.as_deref(), Some("sg-404"));
        assert_eq!(errors[0].call, "DescribeSecurityGroups");
        assert!(
            errors[0].message.starts_with("InvalidGroup.NotFound: "),
            "{errors:?}"
        );
        assert!(errors[0].hint.contains("tier \"worker\""), "{errors:?}");
        assert_eq!(
            ec2.actions().len(),
            4,
            "master read on both pages, then worker"
        );
    }

    #[test]
    fn a_missing_permission_stops_at_the_first_group() {
        let ec2 = FakeEc2::start(denied);
        let errors = read(&ec2.url, &[("master", "sg-1"), ("worker", "sg-2")]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].summary(),
            "DescribeSecurityGroups failed for sg-1 (tier master)"
        );
        assert!(
            errors[0].message.starts_with("UnauthorizedOperation: "),
            "{errors:?}"
        );
        assert!(
            errors[0].hint.contains("ec2:DescribeSecurityGroups"),
            "{errors:?}"
        );
    }

    #[test]
    fn an_unreachable_endpoint_is_one_error_not_a_hang() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let started = std::time::Instant::now();
        let errors = read(
            &format!("http://127.0.0.1:{port}"),
            &[("master", "sg-1"), ("worker", "sg-2")],
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].call, "DescribeSecurityGroups");
        assert_eq!(errors[0].group_id.as_deref(), Some("sg-1"));
        assert!(errors[0].hint.contains("endpoint"), "{errors:?}");
        assert!(
            started.elapsed() < OPERATION_TIMEOUT,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn sdk_rules_map_to_observed_rules() {
        let referenced = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-a")
            .is_egress(false)
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .referenced_group_info(
                ReferencedSecurityGroup::builder()
                    .group_id("sg-b")
                    .user_id("123456789012")
                    .build(),
            )
            .build();
        assert_eq!(
            observed(&referenced, "sg-a"),
            Some(ObservedRule {
                rule_id: "sgr-1".into(),
                group_id: "sg-a".into(),
                direction: Direction::Ingress,
                ip_protocol: "-1".into(),
                from_port: Some(-1),
                to_port: Some(-1),
                peer: ObservedPeer::Group("sg-b".into()),
            })
        );
        let egress = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-2")
            .is_egress(true)
            .ip_protocol("tcp")
            .from_port(443)
            .to_port(443)
            .cidr_ipv6("::/0")
            .build();
        let rule = observed(&egress, "sg-a").expect("a rule");
        assert_eq!(rule.direction, Direction::Egress);
        assert_eq!(rule.group_id, "sg-a");
        assert_eq!(rule.peer, ObservedPeer::Ipv6("::/0".into()));
        let no_peer = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-3")
            .build();
        assert_eq!(observed(&no_peer, "sg-a"), None);
    }

    #[test]
    fn service_errors_say_what_to_fix() {
        let (hint, for_all) = service_hint("InvalidGroup.NotFound", "worker");
        assert!(hint.contains("tier \"worker\""), "{hint}");
        assert!(!for_all);
        let (hint, for_all) = service_hint("UnauthorizedOperation", "worker");
        assert!(hint.contains("ec2:DescribeSecurityGroupRules"), "{hint}");
        assert!(for_all);
    }
}
