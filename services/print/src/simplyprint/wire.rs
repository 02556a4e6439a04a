//! SimplyPrint's JSON shapes (specs/external-apis.md §2), read leniently:
//! only the fields print-service uses, ids as numbers or numeric strings.

use serde::{Deserialize, Deserializer};

/// Every answer's envelope: `{status, message, ...}`; logical errors come
/// as HTTP 200 with `status: false`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub(crate) status: bool,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// `queue/AddItem`.
#[derive(Debug, Deserialize)]
pub(crate) struct AddItemAnswer {
    #[serde(deserialize_with = "lenient_i64")]
    pub(crate) created_id: i64,
}

/// `files/Upload` on the files host: an intermediate part answers with a
/// `continueToken`, the last (or only) one with the `file`.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadAnswer {
    #[serde(default, rename = "continueToken")]
    pub(crate) continue_token: Option<String>,
    #[serde(default)]
    pub(crate) file: Option<UploadedFileInfo>,
}

/// The uploaded file.
#[derive(Debug, Deserialize)]
pub(crate) struct UploadedFileInfo {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) size: u64,
}

/// `jobs/GetPaginatedPrintJobs`.
#[derive(Debug, Deserialize)]
pub(crate) struct PaginatedJobs {
    #[serde(default)]
    pub(crate) data: Vec<JobSummary>,
    #[serde(default)]
    pub(crate) page_amount: Option<u32>,
}

/// One job of the paginated list.
#[derive(Debug, Deserialize)]
pub(crate) struct JobSummary {
    #[serde(deserialize_with = "lenient_i64")]
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) uid: Option<String>,
    #[serde(default, rename = "queueItem")]
    pub(crate) queue_item: Option<QueueItemRef>,
}

/// A job's queue item (`null` for jobs started without the queue).
#[derive(Debug, Deserialize)]
pub(crate) struct QueueItemRef {
    #[serde(deserialize_with = "lenient_i64")]
    pub(crate) id: i64,
}

/// `queue/GetItems`: the docs show `queue.items[]`; a bare `items[]` is
/// accepted too.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct QueueItemsAnswer {
    #[serde(default)]
    pub(crate) queue: Option<QueueItems>,
    #[serde(default)]
    pub(crate) items: Option<Vec<QueueItem>>,
}

/// The items of the queue.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct QueueItems {
    #[serde(default)]
    pub(crate) items: Vec<QueueItem>,
}

/// One waiting queue item.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct QueueItem {
    #[serde(deserialize_with = "lenient_i64")]
    pub(crate) id: i64,
    #[serde(default)]
    pub(crate) filename: Option<String>,
    #[serde(default)]
    pub(crate) filesystem_id: Option<String>,
}

impl QueueItemsAnswer {
    pub(crate) fn into_items(self) -> Vec<QueueItem> {
        match (self.queue, self.items) {
            (Some(q), _) => q.items,
            (None, Some(items)) => items,
            (None, None) => Vec::new(),
        }
    }
}

/// An integer id sent as a JSON number or a numeric string.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Int(i64),
        Text(String),
    }
    match Id::deserialize(d)? {
        Id::Int(n) => Ok(n),
        Id::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not an integer id"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        String::from_utf8(service_common::testing::fixture(name)).expect("UTF-8 fixture")
    }

    #[test]
    fn add_item_answer_from_the_docs() {
        let raw = fixture("simplyprint_api_queue_AddItem_response__docs.json");
        let env: Envelope = serde_json::from_str(&raw).expect("envelope");
        assert!(env.status);
        let a: AddItemAnswer = serde_json::from_str(&raw).expect("answer");
        assert_eq!(a.created_id, 1337);
    }

    #[test]
    fn upload_answers_from_the_docs() {
        let single: UploadAnswer = serde_json::from_str(&fixture(
            "simplyprint_api_files_Upload_response__files.simplyprint.io.json",
        ))
        .expect("single");
        let file = single.file.expect("file");
        assert_eq!(file.id.len(), 64);
        assert_eq!(file.name, "file.gcode");
        assert_eq!(file.size, 13439);

        let part: UploadAnswer = serde_json::from_str(&fixture(
            "simplyprint_api_files_Upload_continueToken_response__files.simplyprint.io.json",
        ))
        .expect("part");
        assert!(part.file.is_none());
        assert!(part.continue_token.expect("token").starts_with("eyJ"));

        let last: UploadAnswer = serde_json::from_str(&fixture(
            "simplyprint_api_files_Upload_final_part_response__files.simplyprint.io.json",
        ))
        .expect("last");
        assert_eq!(last.file.expect("file").name, "part1.3mf");
    }

    #[test]
    fn refusals_carry_their_message() {
        let env: Envelope = serde_json::from_str(
            r#"{"status":false,"message":"You don't have access to this account"}"#,
        )
        .expect("envelope");
        assert!(!env.status);
        assert_eq!(
            env.message.as_deref(),
            Some("You don't have access to this account")
        );
    }

    #[test]
    fn paginated_jobs_map_to_queue_items() {
        let raw = r#"{"status":true,"message":null,"page_amount":1,"data":[
            {"id":456,"uid":"pj_abc123","status":"ongoing","queueItem":{"id":"1337","user":7,"queueNum":1}},
            {"id":457,"uid":"pj_x","status":"done","queueItem":null}]}"#;
        let p: PaginatedJobs = serde_json::from_str(raw).expect("jobs");
        assert_eq!(p.page_amount, Some(1));
        assert_eq!(p.data[0].queue_item.as_ref().map(|q| q.id), Some(1337));
        assert!(p.data[1].queue_item.is_none());
    }

    #[test]
    fn queue_items_in_either_shape() {
        let nested: QueueItemsAnswer = serde_json::from_str(
            r#"{"status":true,"queue":{"items":[{"id":890,"filename":"bracket-v2.gcode","filesystem_id":"c677"}]}}"#,
        )
        .expect("nested");
        assert_eq!(nested.into_items()[0].id, 890);
        let flat: QueueItemsAnswer =
            serde_json::from_str(r#"{"status":true,"items":[{"id":"5"}]}"#).expect("flat");
        assert_eq!(flat.into_items()[0].id, 5);
    }
}
