//! kong.conf, KONG_* variables and flags: parsing, precedence, the settings, and
//! every bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtls_kong_conf::{
    Builder, Database, Error, KongHeader, LogLevel, Origin, PemSource, SettingErrors, Settings,
    Warning,
};

fn errors(builder: Builder) -> SettingErrors {
    match builder.build() {
        Err(Error::Invalid(e)) => e,
        Err(other) => panic!("{other}"),
        Ok(s) => panic!("accepted:\n{}", s.render()),
    }
}

fn env(var: &str) -> Origin {
    Origin::Env { var: var.into() }
}

#[test]
fn defaults_are_a_kong_nodes() {
    let s = Settings::defaults().unwrap();
    let proxy: Vec<String> = s.proxy_listen.iter().map(ToString::to_string).collect();
    assert_eq!(
        proxy,
        [
            "0.0.0.0:8000 reuseport backlog=16384",
            "0.0.0.0:8443 ssl http2 reuseport backlog=16384"
        ]
    );
    assert_eq!(s.admin_listen.len(), 2);
    assert_eq!(
        s.admin_listen[0].socket_addr(),
        "127.0.0.1:8001".parse().ok()
    );
    assert!(s.admin_listen[1].is_tls());
    assert!(s.status_listen.is_empty());
    assert_eq!(s.database, Database::Postgres);
    assert_eq!(s.declarative_config, None);
    assert_eq!(
        (
            s.postgres.host.as_str(),
            s.postgres.port,
            s.postgres.user.as_str()
        ),
        ("127.0.0.1", 5432, "kong")
    );
    assert_eq!(s.postgres.database, "kong");
    assert_eq!(s.postgres.password, None);
    assert!(!s.postgres.ssl && !s.postgres.ssl_verify);
    assert_eq!(s.postgres.timeout_ms, 5000);
    assert!(!s.client_ssl && s.client_ssl_cert.is_none());
    assert!(s.ssl_cert.is_empty());
    assert_eq!(s.trusted_ips, mtls_header::TrustedIps::new());
    assert_eq!(s.real_ip_header, "X-Real-IP");
    assert!(!s.real_ip_recursive);
    assert_eq!(s.headers.len(), 7, "{:?}", s.headers);
    assert!(!s.headers.contains(&KongHeader::UpstreamStatus));
    assert_eq!(
        s.headers_upstream.iter().copied().collect::<Vec<_>>(),
        [KongHeader::RequestId]
    );
    assert_eq!(
        (
            s.large_client_header_buffers.count,
            s.large_client_header_buffers.size
        ),
        (4, 8192)
    );
    assert_eq!(s.log_level, LogLevel::Notice);
    assert_eq!(s.origin("proxy_listen"), Some(&Origin::Default));
    assert!(s.warnings().is_empty());
}

#[test]
fn precedence_default_conf_env_flag() {
    let conf = "log_level = info\npg_host = conf-db\npg_user = conf-user\npg_port = 6000\n";
    let vars = [("KONG_PG_HOST", "env-db"), ("KONG_PG_USER", "env-user")];
    // Given in every order, the same outcome.
    let a = Builder::new()
        .kong_conf(conf, "kong.conf")
        .env(vars)
        .flag("pg_user", "flag-user", "--pg-user")
        .build()
        .unwrap();
    let b = Builder::new()
        .flag("pg_user", "flag-user", "--pg-user")
        .env(vars)
        .kong_conf(conf, "kong.conf")
        .build()
        .unwrap();
    for s in [&a, &b] {
        assert_eq!(s.postgres.database, "kong"); // default
        assert_eq!(s.origin("pg_database"), Some(&Origin::Default));
        assert_eq!(s.postgres.port, 6000); // kong.conf
        assert_eq!(s.log_level, LogLevel::Info);
        assert_eq!(
            s.origin("pg_port"),
            Some(&Origin::File {
                path: "kong.conf".into(),
                line: 4
            })
        );
        assert_eq!(s.postgres.host, "env-db"); // env over kong.conf
        assert_eq!(s.origin("pg_host"), Some(&env("KONG_PG_HOST")));
        assert_eq!(s.postgres.user, "flag-user"); // flag over env
        assert_eq!(
            s.origin("pg_user"),
            Some(&Origin::Flag {
                flag: "--pg-user".into()
            })
        );
    }
    // Later lines of one file win, as in Kong.
    let s = Builder::new()
        .kong_conf("log_level = info\nlog_level = error\n", "k")
        .build()
        .unwrap();
    assert_eq!(s.log_level, LogLevel::Error);
}

#[test]
fn kong_proxy_listen() {
    let s = Builder::new()
        .env([(
            "KONG_PROXY_LISTEN",
            "0.0.0.0:80, 0.0.0.0:443 ssl http2 reuseport, [::]:8443 ssl",
        )])
        .build()
        .unwrap();
    let tls: Vec<bool> = s.proxy_listen.iter().map(|l| l.is_tls()).collect();
    assert_eq!(tls, [false, true, true]);
    assert_eq!(s.proxy_listen[2].socket_addr(), "[::]:8443".parse().ok());
    assert!(s.proxy_listen[1].http2 && s.proxy_listen[1].reuseport);
    let off = Builder::new()
        .env([("KONG_ADMIN_LISTEN", "off")])
        .build()
        .unwrap();
    assert!(off.admin_listen.is_empty());
    let status = Builder::new()
        .env([("KONG_STATUS_LISTEN", "0.0.0.0:8100")])
        .build()
        .unwrap();
    assert_eq!(status.status_listen.len(), 1);
}

#[test]
fn kong_declarative_config_and_database() {
    let s = Builder::new()
        .env([
            ("KONG_DATABASE", "off"),
            ("KONG_DECLARATIVE_CONFIG", "/kong/declarative/kong.yml"),
        ])
        .build()
        .unwrap();
    assert_eq!(s.database, Database::Off);
    assert_eq!(
        s.declarative_config.as_deref(),
        Some(std::path::Path::new("/kong/declarative/kong.yml"))
    );
    let sqlite = Builder::new()
        .env([("KONG_DATABASE", "sqlite")])
        .build()
        .unwrap();
    assert_eq!(sqlite.database, Database::Sqlite);
    let e = errors(Builder::new().env([("KONG_DATABASE", "cassandra")]));
    assert!(
        e.about("database")
            .any(|e| e.message.contains("not supported") && e.origin == env("KONG_DATABASE")),
        "{e}"
    );
}

#[test]
fn kong_client_ssl() {
    // Tutorial A step 11.
    let s = Builder::new()
        .env([
            ("KONG_CLIENT_SSL", "on"),
            ("KONG_CLIENT_SSL_CERT", "/client/client.crt"),
            ("KONG_CLIENT_SSL_CERT_KEY", "/client/client.key"),
        ])
        .build()
        .unwrap();
    assert!(s.client_ssl);
    assert_eq!(
        s.client_ssl_cert,
        Some(PemSource::Path("/client/client.crt".into()))
    );
    assert_eq!(
        s.client_ssl_cert_key,
        Some(PemSource::Path("/client/client.key".into()))
    );
    assert!(
        s.render()
            .contains("client_ssl_cert_key = <hidden>  # KONG_CLIENT_SSL_CERT_KEY"),
        "{}",
        s.render()
    );
    // The PEM itself in the variable.
    let pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----";
    let s = Builder::new()
        .env([
            ("KONG_CLIENT_SSL", "true"),
            ("KONG_CLIENT_SSL_CERT", pem),
            ("KONG_CLIENT_SSL_CERT_KEY", "/k"),
        ])
        .build()
        .unwrap();
    assert_eq!(s.client_ssl_cert, Some(PemSource::Inline(pem.into())));
    // One without the other, or neither.
    let e = errors(Builder::new().env([("KONG_CLIENT_SSL", "on"), ("KONG_CLIENT_SSL_CERT", "/c")]));
    assert!(
        e.about("client_ssl_cert_key")
            .any(|e| e.message.contains("must be specified")),
        "{e}"
    );
    let e = errors(Builder::new().env([("KONG_CLIENT_SSL", "on")]));
    assert!(e.about("client_ssl").count() == 1, "{e}");
    // ssl_cert and ssl_cert_key pair up.
    let s = Builder::new()
        .kong_conf(
            "ssl_cert = /a.crt, /b.crt\nssl_cert_key = /a.key, /b.key\n",
            "k",
        )
        .build()
        .unwrap();
    assert_eq!(s.ssl_cert.len(), 2);
    let e =
        errors(Builder::new().kong_conf("ssl_cert = /a.crt, /b.crt\nssl_cert_key = /a.key\n", "k"));
    assert!(
        e.about("ssl_cert").any(|e| e
            .message
            .contains("2 times while ssl_cert_key was specified 1")),
        "{e}"
    );
}

#[test]
fn kong_trusted_ips_and_real_ip() {
    let s = Builder::new()
        .env([
            ("KONG_TRUSTED_IPS", "0.0.0.0/0,::/0"),
            ("KONG_REAL_IP_HEADER", "X-Forwarded-For"),
            ("KONG_REAL_IP_RECURSIVE", "on"),
        ])
        .build()
        .unwrap();
    assert!(s.trusted_ips.contains("203.0.113.9".parse().unwrap()));
    assert!(s.trusted_ips.contains("2001:db8::1".parse().unwrap()));
    assert!(!s.trusted_unix);
    assert_eq!(s.real_ip_header, "X-Forwarded-For");
    assert!(s.real_ip_recursive);
    let s = Builder::new()
        .env([("KONG_TRUSTED_IPS", "10.0.0.0/8, 192.0.2.7, unix:")])
        .build()
        .unwrap();
    assert!(s.trusted_ips.contains("10.2.3.4".parse().unwrap()));
    assert!(!s.trusted_ips.contains("192.0.2.8".parse().unwrap()));
    assert!(s.trusted_unix);
    let e = errors(Builder::new().env([("KONG_TRUSTED_IPS", "10.0.0.0/8,10.0.0.0/33")]));
    assert!(
        e.about("trusted_ips")
            .any(|e| e.message.contains("\"10.0.0.0/33\"")),
        "{e}"
    );
    // The nginx spelling, set explicitly, wins over the default short one (Kong's alias).
    let s = Builder::new()
        .kong_conf("nginx_proxy_real_ip_header = proxy_protocol_x\n", "k")
        .build()
        .unwrap();
    assert_eq!(s.real_ip_header, "proxy_protocol_x");
}

#[test]
fn headers_and_header_buffers() {
    let s = Builder::new()
        .kong_conf("headers = off\n", "k")
        .build()
        .unwrap();
    assert!(s.headers.is_empty());
    let s = Builder::new()
        .kong_conf(
            "headers = Server, X-Kong-Upstream-Status, x-kong-request-id\n",
            "k",
        )
        .build()
        .unwrap();
    assert_eq!(
        s.headers.iter().copied().collect::<Vec<_>>(),
        [
            KongHeader::Server,
            KongHeader::UpstreamStatus,
            KongHeader::RequestId
        ]
    );
    let e = errors(Builder::new().kong_conf("headers = server_tokens, x-powered-by\n", "k"));
    assert!(
        e.about("headers")
            .any(|e| e.message.contains("\"x-powered-by\"")),
        "{e}"
    );
    let e = errors(Builder::new().kong_conf("headers_upstream = server_tokens\n", "k"));
    assert_eq!(e.about("headers_upstream").count(), 1, "{e}");
    let s = Builder::new()
        .env([("KONG_NGINX_PROXY_LARGE_CLIENT_HEADER_BUFFERS", "8 16k")])
        .build()
        .unwrap();
    assert_eq!(
        (
            s.large_client_header_buffers.count,
            s.large_client_header_buffers.size
        ),
        (8, 16384)
    );
    for bad in ["8", "8 16g", "0 8k", "a 8k", "4 8k 2"] {
        let e = errors(Builder::new().flag(
            "nginx_proxy_large_client_header_buffers",
            bad,
            "--header-buffers",
        ));
        assert_eq!(e.len(), 1, "{bad}: {e}");
    }
}

#[test]
fn bad_lines_have_their_numbers() {
    let e = errors(Builder::new().kong_conf(
        "log_level = info\n\n# ok\nproxy_listen 0.0.0.0:8000\nheaders = off\n",
        "/etc/kong/kong.conf",
    ));
    assert_eq!(e.len(), 1, "{e}");
    assert_eq!(
        e.to_string(),
        "/etc/kong/kong.conf line 4: expected name = value, got \"proxy_listen 0.0.0.0:8000\""
    );
}

#[test]
fn bad_values_name_setting_and_origin() {
    let e = errors(
        Builder::new()
            .kong_conf("proxy_listen = 0.0.0.0\nlog_level = verbose\n", "kong.conf")
            .env([
                ("KONG_CLIENT_SSL", "yes"),
                ("KONG_PG_PORT", "99999"),
                ("KONG_ADMIN_LISTEN", "127.0.0.1:8001 sslx"),
            ]),
    );
    let shown = e.to_string();
    for expected in [
        "kong.conf line 1: proxy_listen: \"0.0.0.0\" is not <ip>:<port>",
        "kong.conf line 2: log_level: \"verbose\": expected one of debug, info, notice",
        "KONG_CLIENT_SSL: client_ssl: \"yes\": expected on or off",
        "KONG_PG_PORT: pg_port: \"99999\": expected a number from 1 to 65535",
        "KONG_ADMIN_LISTEN: admin_listen: \"sslx\" is not a listen flag",
    ] {
        assert!(shown.contains(expected), "missing {expected}\n{shown}");
    }
    assert_eq!(e.len(), 5, "{shown}");
    // An unset listen is Kong's usage error too.
    assert_eq!(
        errors(Builder::new().env([("KONG_PROXY_LISTEN", "")])).len(),
        1
    );
    let e = errors(Builder::new().env([("KONG_PROXY_LISTEN", "0.0.0.0:8000 proxy_protocol")]));
    assert!(
        e.to_string().contains("proxy_protocol is not supported"),
        "{e}"
    );
}

#[test]
fn unknown_kong_variables_warn() {
    let s = Builder::new()
        .env([
            ("KONG_PROXY_LISTN", "0.0.0.0:1"),
            ("kong_log_level", "debug"),
            ("HOME", "/root"),
            ("KONGX", "1"),
        ])
        .kong_conf("proxy_lisen = 0.0.0.0:1\n", "kong.conf")
        .build()
        .unwrap();
    assert_eq!(
        s.log_level,
        LogLevel::Debug,
        "KONG_ is matched in any case, as Kong does"
    );
    let w = s.warnings();
    assert!(
        w.contains(&Warning::UnknownEnv {
            var: "KONG_PROXY_LISTN".into(),
            name: "proxy_listn".into()
        }),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| matches!(w, Warning::UnknownSetting { name, .. } if name == "proxy_lisen")),
        "{w:?}"
    );
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].to_string().contains("KONG_PROXY_LISTN"), "{}", w[0]);
    assert_eq!(s.proxy_listen.len(), 2, "unknown names change nothing");
}

#[test]
fn unsupported_settings_are_refused() {
    let e = errors(
        Builder::new()
            .kong_conf(
                "router_flavor = expressions\nstream_listen = 0.0.0.0:5555\n",
                "kong.conf",
            )
            .env([
                ("KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE", "10m"),
                ("KONG_PLUGINS", "bundled,my-plugin"),
            ])
            .flag("no_such_setting", "x", "--x"),
    );
    let shown = e.to_string();
    assert!(
        shown.contains(
            "kong.conf line 1: router_flavor: a Kong setting this gateway does not support"
        ),
        "{shown}"
    );
    assert!(shown.contains("kong.conf line 2: stream_listen"), "{shown}");
    assert!(
        shown.contains("KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE: nginx_http_client_max_body_size"),
        "{shown}"
    );
    assert!(
        shown.contains("flag --x: no_such_setting: no Kong setting has this name"),
        "{shown}"
    );
    assert_eq!(e.len(), 4, "{shown}");
    // Set to Kong's default, they change nothing and are accepted.
    assert!(
        Builder::new()
            .kong_conf(
                "router_flavor = traditional_compatible\nstream_listen = off\n",
                "k"
            )
            .build()
            .is_ok()
    );
}

#[test]
fn a_kong_dbless_containers_environment_runs_unchanged() {
    // The environment of Kong's DB-less Docker quickstart.
    let s = Builder::new()
        .env([
            ("KONG_DATABASE", "off"),
            ("KONG_DECLARATIVE_CONFIG", "/kong/declarative/kong.yml"),
            ("KONG_PROXY_ACCESS_LOG", "/dev/stdout"),
            ("KONG_ADMIN_ACCESS_LOG", "/dev/stdout"),
            ("KONG_PROXY_ERROR_LOG", "/dev/stderr"),
            ("KONG_ADMIN_ERROR_LOG", "/dev/stderr"),
            ("KONG_ADMIN_LISTEN", "0.0.0.0:8001"),
            ("KONG_ADMIN_GUI_URL", "http://localhost:8002"),
            ("KONG_PREFIX", "/var/run/kong"),
            ("KONG_NGINX_WORKER_PROCESSES", "1"),
        ])
        .build()
        .unwrap();
    assert_eq!(s.database, Database::Off);
    assert_eq!(s.admin_listen[0].socket_addr(), "0.0.0.0:8001".parse().ok());
    let no_effect: Vec<&str> = s
        .warnings()
        .iter()
        .filter_map(|w| match w {
            Warning::NoEffect { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(no_effect.len(), 7, "{:?}", s.warnings());
    assert!(no_effect.contains(&"proxy_access_log") && no_effect.contains(&"prefix"));
}

#[test]
fn render_reads_back_as_kong_conf() {
    let s = Builder::new()
        .kong_conf(
            "proxy_listen = 0.0.0.0:9000, 0.0.0.0:9443 ssl\nreal_ip_header = X-Real-IP\n",
            "kong.conf",
        )
        .env([
            ("KONG_TRUSTED_IPS", "10.0.0.0/8"),
            ("KONG_PG_PASSWORD", "s3cret"),
            ("KONG_PREFIX", "/tmp/kong"),
        ])
        .flag("log_level", "warn", "--log-level")
        .build()
        .unwrap();
    let text = s.render();
    assert!(text.contains("  # kong.conf line 1\n"), "{text}");
    assert!(text.contains("  # KONG_TRUSTED_IPS\n"), "{text}");
    assert!(text.contains("  # flag --log-level\n"), "{text}");
    assert!(
        text.contains("prefix"),
        "a set no-effect setting is shown: {text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
    let lines = mtls_kong_conf::parse_conf(&text, "rendered").unwrap();
    let again = Builder::new()
        .kong_conf(&text.replace("<hidden>", "x"), "rendered")
        .build()
        .unwrap();
    assert_eq!(again.proxy_listen, s.proxy_listen);
    assert_eq!(again.trusted_ips, s.trusted_ips);
    assert_eq!(again.log_level, s.log_level);
    assert!(lines.len() >= 28);
}
