//! The `svc-gateway` binary: a missing or malformed variable stops it with
//! one line naming the variable.

use std::process::Command;

fn run(extra: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_svc-gateway"));
    cmd.env_clear()
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .env("INTERNAL_API_KEY", "0123456789abcdef0123")
        .env("ORDER_SERVICE_URL", "http://order:3001")
        .env("PRINT_SERVICE_URL", "http://print:3002")
        .env("SHIPPING_SERVICE_URL", "http://shipping:3003");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run svc-gateway");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_missing_service_url_is_named() {
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.trim(),
        "gateway: configuration error: GRIDFLOCK_SERVICE_URL is missing"
    );
}

#[test]
fn a_malformed_limit_is_named() {
    let (code, stderr) = run(&[
        ("GRIDFLOCK_SERVICE_URL", "http://gridflock:3004"),
        ("GATEWAY_MAX_BODY_BYTES", "lots"),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("GATEWAY_MAX_BODY_BYTES is \"lots\""),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1);
}
