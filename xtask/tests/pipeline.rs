//! `azure-pipelines.yml`: valid against the Azure Pipelines schema (the file
//! itself and the Package template expanded for every image), and wired the
//! way the project relies on: one Package job per image, each gated on the
//! output variable `cargo xtask affected` really prints for it.

mod deployment_tools;

use deployment_tools::{IMAGES, Scratch, check_jsonschema, root, run, shellcheck, text};
use serde_yaml::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const PIPELINE: &str = "azure-pipelines.yml";

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn stage<'a>(pipeline: &'a Value, name: &str) -> &'a Value {
    pipeline["stages"]
        .as_sequence()
        .and_then(|s| s.iter().find(|st| st["stage"].as_str() == Some(name)))
        .unwrap_or_else(|| panic!("no stage {name}"))
}

fn job<'a>(stage: &'a Value, key: &str, name: &str) -> &'a Value {
    stage["jobs"]
        .as_sequence()
        .and_then(|s| s.iter().find(|j| j[key].as_str() == Some(name)))
        .unwrap_or_else(|| panic!("no {key} {name}"))
}

/// Every script the steps of `job` run, joined, for "does it run X" checks.
fn scripts(steps: &Value) -> String {
    steps
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|s| s["bash"].as_str().or_else(|| s["script"].as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The Package stage's template uses: (template file, image, Dockerfile).
fn package_jobs(pipeline: &Value) -> Vec<(String, String, String)> {
    stage(pipeline, "Package")["jobs"]
        .as_sequence()
        .expect("Package has jobs")
        .iter()
        .map(|j| {
            let field = |v: &Value| v.as_str().expect("a string").to_owned();
            (
                field(&j["template"]),
                field(&j["parameters"]["image"]),
                field(&j["parameters"]["dockerfile"]),
            )
        })
        .collect()
}

/// The template with its parameters filled in, as Azure expands it.
fn expand(template: &str, image: &str, dockerfile: &str) -> String {
    std::fs::read_to_string(root().join(template))
        .unwrap_or_else(|e| panic!("cannot read {template}: {e}"))
        .replace("${{ parameters.image }}", image)
        .replace("${{ parameters.dockerfile }}", dockerfile)
}

/// check-jsonschema with the Azure Pipelines schema it ships; the default
/// regex engine cannot compile that schema's patterns, hence `nonunicode`.
fn schema_check(files: &[PathBuf]) -> Output {
    run(Command::new(check_jsonschema())
        .args([
            "--regex-variant",
            "nonunicode",
            "--builtin-schema",
            "vendor.azure-pipelines",
            "--data-transform",
            "azure-pipelines",
        ])
        .args(files))
}

#[test]
fn pipeline_and_expanded_templates_match_the_azure_schema() {
    let scratch = Scratch::new("pipeline-schema");
    let mut files = vec![root().join(PIPELINE)];
    for (template, image, dockerfile) in package_jobs(&load(PIPELINE)) {
        let expanded = scratch.0.join(format!("package-{image}.yml"));
        std::fs::write(&expanded, expand(&template, &image, &dockerfile))
            .expect("write expanded template");
        files.push(expanded);
    }
    let out = schema_check(&files);
    assert!(
        out.status.success(),
        "the pipeline does not match the Azure Pipelines schema:\n{}",
        text(&out)
    );
}

#[test]
fn the_schema_check_rejects_a_misspelt_key() {
    // Guards against a checker that accepts anything.
    let scratch = Scratch::new("pipeline-schema-bad");
    let bad = scratch.0.join("bad.yml");
    std::fs::write(
        &bad,
        "stages:\n- stage: A\n  jobz:\n  - job: B\n    steps:\n    - scritp: echo\n",
    )
    .expect("write bad pipeline");
    let out = schema_check(&[bad]);
    assert!(!out.status.success(), "accepted:\n{}", text(&out));
}

#[test]
fn one_package_job_per_image_gated_on_its_affected_flag() {
    // The variable names come from the real binary, so a rename on either
    // side breaks this test rather than silently skipping a Package job.
    let out = run(Command::new(env!("CARGO_BIN_EXE_xtask")).args(["affected", "--force"]));
    assert!(out.status.success(), "{}", text(&out));
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("##vso[task.setvariable variable="))
        .filter_map(|l| l.split_once(";isOutput=true]"))
        .map(|(name, _)| name.to_owned())
        .collect();

    let pipeline = load(PIPELINE);
    let jobs = package_jobs(&pipeline);
    let images: Vec<&str> = jobs.iter().map(|(_, image, _)| image.as_str()).collect();
    assert_eq!(images, IMAGES, "Package jobs");
    for (template, image, dockerfile) in &jobs {
        assert!(
            root().join(dockerfile).is_file(),
            "{image}: {dockerfile} does not exist"
        );
        let variable = format!("{image}Affected");
        assert!(
            printed.contains(&variable),
            "xtask affected prints no {variable}"
        );
        let expanded: Value =
            serde_yaml::from_str(&expand(template, image, dockerfile)).expect("template is YAML");
        let job = &expanded["jobs"][0];
        assert_eq!(
            job["job"].as_str(),
            Some(format!("Package_{image}").as_str())
        );
        let condition = job["condition"].as_str().expect("a condition");
        assert!(
            condition.contains(&format!(
                "eq(stageDependencies.DetectAffected.Detect.outputs['detect.{variable}'], 'true')"
            )),
            "{image}: condition `{condition}`"
        );
        let steps = scripts(&job["steps"]);
        for needle in [
            "docker buildx build",
            "--cache-from \"type=registry",
            "--cache-to \"type=registry",
            &format!("--file \"{dockerfile}\""),
            "--push",
            "syft \"$ref\"",
            "cosign sign --yes --key env://COSIGN_PRIVATE_KEY \"$ref\"",
            "cosign attest",
        ] {
            assert!(
                steps.contains(needle),
                "{image}: no `{needle}` in its steps"
            );
        }
        // Signing by digest: the reference is image@digest.
        assert!(steps.contains("ref=\"$(imageName)@$(imageDigest)\""));
    }

    // The flags come from a step named `detect` in job Detect running xtask.
    let detect = job(stage(&pipeline, "DetectAffected"), "job", "Detect");
    let step = detect["steps"]
        .as_sequence()
        .and_then(|s| s.iter().find(|st| st["name"].as_str() == Some("detect")))
        .expect("a step named detect");
    let script = step["bash"].as_str().expect("detect is a bash step");
    assert!(script.contains("cargo xtask affected --base"));
    assert!(script.contains("cargo xtask affected --force"));
    assert!(script.contains("${{ parameters.ForceFullVersioningAndDeployment }}"));
    assert!(printed.contains(&"deployAffected".to_owned()));
}

#[test]
fn force_parameter_variables_and_stages() {
    let pipeline = load(PIPELINE);
    let force = pipeline["parameters"]
        .as_sequence()
        .and_then(|p| {
            p.iter()
                .find(|x| x["name"].as_str() == Some("ForceFullVersioningAndDeployment"))
        })
        .expect("parameter ForceFullVersioningAndDeployment");
    assert_eq!(force["type"].as_str(), Some("boolean"));
    assert_eq!(force["default"].as_str(), Some("false"));
    let variables = pipeline["variables"].as_sequence().expect("variables");
    assert!(
        variables
            .iter()
            .any(|v| v["group"].as_str() == Some("forma3d-secrets")),
        "variable group"
    );

    let stages: Vec<&str> = pipeline["stages"]
        .as_sequence()
        .expect("stages")
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(stages, ["Validate", "DetectAffected", "Package", "Deploy"]);

    let validate = stage(&pipeline, "Validate");
    let ci = job(validate, "job", "Validate");
    assert_eq!(ci["services"]["postgres"].as_str(), Some("postgres"));
    assert_eq!(ci["services"]["redis"].as_str(), Some("redis"));
    let steps = scripts(&ci["steps"]);
    for needle in [
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
        "cargo xtask ci",
    ] {
        assert!(steps.contains(needle), "Validate runs no `{needle}`");
    }

    let bench = job(validate, "job", "Benchmarks");
    let steps = scripts(&bench["steps"]);
    for needle in [
        "cargo bench -p gridflock-benches",
        "cargo xtask bench instructions",
        "cargo xtask bench compare",
        "--max-regression 20",
    ] {
        assert!(steps.contains(needle), "Benchmarks runs no `{needle}`");
    }
    let artifacts: Vec<&str> = bench["steps"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            s["inputs"]["artifact"]
                .as_str()
                .or(s["inputs"]["artifactName"].as_str())
        })
        .collect();
    assert_eq!(
        artifacts,
        ["bench-instructions", "bench-report", "bench-instructions"]
    );

    let deploy = stage(&pipeline, "Deploy");
    let condition = deploy["condition"].as_str().expect("Deploy condition");
    assert!(
        condition.contains("dependencies.DetectAffected.outputs['Detect.detect.deployAffected']")
    );
    let staging = job(deploy, "deployment", "DeployStaging");
    assert_eq!(staging["environment"].as_str(), Some("staging"));
    let steps = staging["strategy"]["runOnce"]["deploy"]["steps"]
        .as_sequence()
        .expect("deploy steps");
    let ssh = steps
        .iter()
        .find(|s| s["task"].as_str() == Some("SSH@0"))
        .expect("an SSH@0 step");
    let inline = ssh["inputs"]["inline"].as_str().expect("inline script");
    assert!(inline.contains("./deploy.sh \"$(imageTag)\" \"${images[@]}\""));
    assert!(root().join("deployment/staging/deploy.sh").is_file());
}

/// Every shell script in `value`: `bash` steps and SSH `inline` scripts.
fn shell_scripts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            if let Some(script) = value["bash"].as_str() {
                out.push(script.to_owned());
            }
            if let Some(script) = value["inputs"]["inline"].as_str() {
                out.push(script.to_owned());
            }
            for v in map.values() {
                shell_scripts(v, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| shell_scripts(v, out)),
        _ => {}
    }
}

/// The script as bash sees it after Azure has substituted its macros
/// (`$(name)`) and template expressions (`${{ … }}`): plain words.
fn substitute_azure(script: &str) -> String {
    let mut out = String::new();
    let mut rest = script;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(end) = tail.strip_prefix("${{").and_then(|t| t.find("}}")) {
            out.push_str("azure_parameter");
            rest = &tail[3 + end + 2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix("$(") {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len());
            if len > 0 && after[len..].starts_with(')') {
                out.push_str("azure_macro");
                rest = &after[len + 1..];
                continue;
            }
        }
        out.push('$');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_script_passes_shellcheck() {
    let checker = shellcheck();
    let mut scripts = Vec::new();
    shell_scripts(&load(PIPELINE), &mut scripts);
    shell_scripts(&load(".azure-pipelines/package-image.yml"), &mut scripts);
    assert!(scripts.len() >= 10, "found only {} scripts", scripts.len());
    let scratch = Scratch::new("pipeline-shellcheck");
    for (i, script) in scripts.iter().enumerate() {
        let file = scratch.0.join(format!("step-{i}.sh"));
        std::fs::write(&file, format!("#!/bin/bash\n{}", substitute_azure(script)))
            .expect("write script");
        let out = run(Command::new(&checker).arg(&file));
        assert!(
            out.status.success(),
            "shellcheck on\n{script}\n{}",
            text(&out)
        );
    }
}

#[test]
fn azure_macros_become_words() {
    assert_eq!(
        substitute_azure(
            "cd \"$(stagingDirectory)\" && x=$(git rev-parse HEAD) ${{ parameters.a }} $HOME $"
        ),
        "cd \"azure_macro\" && x=$(git rev-parse HEAD) azure_parameter $HOME $"
    );
}
