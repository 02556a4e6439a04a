//! Validation of the internal API's input. Every problem is reported at once,
//! each naming its field (as the caller spelled it) and the allowed range.

use service_common::FieldError;
use service_common::contracts::{CreatePrintJobs, PrintJobStatus};
use std::collections::BTreeSet;

/// At most this many jobs per request (one line item's plates × copies).
pub(crate) const MAX_JOBS: usize = 1000;
/// Highest copy index: quantity × part quantity stays far below it.
pub(crate) const MAX_COPY_INDEX: u32 = 9_999;
/// SimplyPrint ids are 32- or 64-character hex strings; leave room.
pub(crate) const MAX_FILE_ID_LEN: usize = 128;
/// File names as shown in the print queue.
pub(crate) const MAX_FILE_NAME_LEN: usize = 255;
/// Operator reasons are a sentence or two.
pub(crate) const MAX_REASON_LEN: usize = 1000;

/// Checks a creation request.
pub(crate) fn validate_create(req: &CreatePrintJobs) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (field, id) in [
        ("tenantId", req.tenant_id),
        ("orderId", req.order_id),
        ("lineItemId", req.line_item_id),
    ] {
        if id.is_nil() {
            errors.push(FieldError::new(field, "must not be the nil UUID"));
        }
    }
    if req.jobs.is_empty() || req.jobs.len() > MAX_JOBS {
        errors.push(FieldError::new(
            "jobs",
            format!("has {} entries; 1..={MAX_JOBS} expected", req.jobs.len()),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, job) in req.jobs.iter().enumerate() {
        let at = |name: &str| format!("jobs[{i}].{name}");
        if job.part_id.is_nil() {
            errors.push(FieldError::new(at("partId"), "must not be the nil UUID"));
        }
        if job.copy_index > MAX_COPY_INDEX {
            errors.push(FieldError::new(
                at("copyIndex"),
                format!("is {}; 0..={MAX_COPY_INDEX} expected", job.copy_index),
            ));
        }
        if let Some(problem) = file_id_problem(&job.simplyprint_file_id) {
            errors.push(FieldError::new(at("simplyprintFileId"), problem));
        }
        let name = job.file_name.trim();
        if name.is_empty() || name.chars().count() > MAX_FILE_NAME_LEN {
            errors.push(FieldError::new(
                at("fileName"),
                format!("must have 1..={MAX_FILE_NAME_LEN} characters"),
            ));
        }
        if !seen.insert((job.part_id, job.copy_index)) {
            errors.push(FieldError::new(
                format!("jobs[{i}]"),
                "repeats an earlier (partId, copyIndex) pair; each copy is listed once",
            ));
        }
    }
    errors
}

fn file_id_problem(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > MAX_FILE_ID_LEN {
        return Some(format!(
            "must have 1..={MAX_FILE_ID_LEN} characters (a SimplyPrint file id)"
        ));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Some(
            "may only hold letters, digits, '-' and '_' (a SimplyPrint file id)".to_owned(),
        );
    }
    None
}

/// Checks an operator's reason for forcing a state.
pub(crate) fn validate_reason(reason: &str) -> Vec<FieldError> {
    let len = reason.trim().chars().count();
    if len == 0 || len > MAX_REASON_LEN {
        vec![FieldError::new(
            "reason",
            format!("must have 1..={MAX_REASON_LEN} characters"),
        )]
    } else {
        Vec::new()
    }
}

/// The states an operator may name, for messages.
pub(crate) fn status_names() -> String {
    [
        PrintJobStatus::Pending,
        PrintJobStatus::Queued,
        PrintJobStatus::Printing,
        PrintJobStatus::Completed,
        PrintJobStatus::Failed,
        PrintJobStatus::Cancelled,
    ]
    .map(PrintJobStatus::as_str)
    .join(", ")
}

/// File types SimplyPrint's files host takes for printing; the extension
/// decides the type there, so it is checked here.
pub(crate) const UPLOAD_EXTENSIONS: [&str; 3] = ["gcode", "bgcode", "3mf"];

/// The file name to upload under: the last path component of what the
/// client sent, which must end in an accepted extension.
pub(crate) fn upload_file_name(raw: Option<&str>) -> Result<String, FieldError> {
    let name = raw
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim())
        .unwrap_or("");
    if name.is_empty() || name.chars().count() > MAX_FILE_NAME_LEN {
        return Err(FieldError::new(
            "file",
            format!("needs a file name of 1..={MAX_FILE_NAME_LEN} characters"),
        ));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext {
        Some(e) if UPLOAD_EXTENSIONS.contains(&e.as_str()) => Ok(name.to_owned()),
        _ => Err(FieldError::new(
            "file",
            format!(
                "{name:?} has an unsupported type; .{} expected",
                UPLOAD_EXTENSIONS.join(", .")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use service_common::contracts::PrintJobSpec;
    use uuid::Uuid;

    fn spec(copy: u32) -> PrintJobSpec {
        PrintJobSpec {
            part_id: Uuid::from_u128(7),
            copy_index: copy,
            simplyprint_file_id: "f568ead4bbc2d881efc8a9a05f3bd585".to_owned(),
            file_name: "plate-1.gcode".to_owned(),
        }
    }

    fn request(jobs: Vec<PrintJobSpec>) -> CreatePrintJobs {
        CreatePrintJobs {
            tenant_id: Uuid::from_u128(1),
            order_id: Uuid::from_u128(2),
            line_item_id: Uuid::from_u128(3),
            jobs,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_request_passes() {
        assert!(validate_create(&request(vec![spec(0), spec(1)])).is_empty());
    }

    #[test]
    fn job_count_is_bounded() {
        let e = validate_create(&request(vec![]));
        assert_eq!(fields(&e), ["jobs"]);
        assert_eq!(e[0].message, "has 0 entries; 1..=1000 expected");
        let many = (0..1001).map(spec).collect();
        let e = validate_create(&request(many));
        assert!(fields(&e).contains(&"jobs"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = spec(10_000);
        bad.simplyprint_file_id = String::new();
        bad.file_name = "  ".to_owned();
        bad.part_id = Uuid::nil();
        let mut req = request(vec![spec(0), bad]);
        req.order_id = Uuid::nil();
        let e = validate_create(&req);
        assert_eq!(
            fields(&e),
            [
                "orderId",
                "jobs[1].partId",
                "jobs[1].copyIndex",
                "jobs[1].simplyprintFileId",
                "jobs[1].fileName"
            ]
        );
        assert_eq!(e[2].message, "is 10000; 0..=9999 expected");
    }

    #[test]
    fn file_ids_are_plain_tokens() {
        let mut s = spec(0);
        s.simplyprint_file_id = "../etc".to_owned();
        let e = validate_create(&request(vec![s]));
        assert_eq!(fields(&e), ["jobs[0].simplyprintFileId"]);
    }

    #[test]
    fn duplicate_copies_are_refused() {
        let e = validate_create(&request(vec![spec(0), spec(1), spec(0)]));
        assert_eq!(fields(&e), ["jobs[2]"]);
    }

    #[test]
    fn reasons_are_required() {
        assert_eq!(fields(&validate_reason(" ")), ["reason"]);
        assert!(validate_reason("printer 3 jammed").is_empty());
        assert_eq!(fields(&validate_reason(&"x".repeat(1001))), ["reason"]);
    }

    #[test]
    fn upload_names_keep_the_last_component_and_need_a_print_type() {
        assert_eq!(
            upload_file_name(Some("C:\\plates\\GF-450x320.GCODE")).expect("ok"),
            "GF-450x320.GCODE"
        );
        assert_eq!(upload_file_name(Some("a/b/p.3mf")).expect("ok"), "p.3mf");
        assert_eq!(upload_file_name(Some("p.bgcode")).expect("ok"), "p.bgcode");
        let e = upload_file_name(Some("model.stl")).expect_err("stl");
        assert_eq!(e.field, "file");
        assert!(e.message.contains(".gcode, .bgcode, .3mf"), "{}", e.message);
        assert!(upload_file_name(None).is_err());
        assert!(upload_file_name(Some("gcode")).is_err());
    }

    #[test]
    fn status_names_list_all_states() {
        assert_eq!(
            status_names(),
            "PENDING, QUEUED, PRINTING, COMPLETED, FAILED, CANCELLED"
        );
    }
}
