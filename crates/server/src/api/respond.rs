//! Response shapes shared by every resource.

use actix_web::HttpResponse;
use actix_web::http::header;
use rapport_core::page::Page;
use rapport_core::removal::Removal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::etag;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    /// The records, in the requested order.
    pub data: Vec<T>,
    /// Pass as `cursor` to fetch the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// 200 with a page.
pub fn page<T: Serialize + ToSchema>(page: Page<T>) -> HttpResponse {
    HttpResponse::Ok().json(ListResponse { data: page.items, next_cursor: page.next_cursor })
}

/// 200 with one record and its `ETag`.
pub fn one<T: Serialize>(body: &T, version: i64) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// 201 with the new record, its `Location` and `ETag`.
pub fn created<T: Serialize>(body: &T, location: String, version: i64) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 204 when deleted, 200 with the archived record when it had to be kept.
pub fn removed<T: Serialize>(removal: Removal<T>, version: impl Fn(&T) -> i64) -> HttpResponse {
    match removal {
        Removal::Deleted => HttpResponse::NoContent().finish(),
        Removal::Archived(record) => one(&record, version(&record)),
    }
}
