//! Reading a posted form: `application/x-www-form-urlencoded`, first value of a repeated name
//! wins, bytes that are not UTF-8 replaced — and the CSRF token checked before a handler sees
//! any field. Every page that accepts a POST takes a `PostForm`.

use std::collections::HashMap;

use poem::{FromRequest, Request, RequestBody};

use super::{csrf_failure_page, PageCtx};
use crate::web::{csrf, AppState};

pub struct PostForm(HashMap<String, String>);

impl PostForm {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The field as an owned value, for the domain's parsers.
    pub fn value(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

impl<'a> FromRequest<'a> for PostForm {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        let mut fields = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(&bytes) {
            fields
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
        let state = req.data::<AppState>().ok_or_else(|| {
            poem::Error::from_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
        })?;
        let submitted = fields.get(csrf::FORM_FIELD).map(String::as_str);
        if !csrf::verify(req, state, submitted) {
            let page = csrf_failure_page(state, &PageCtx::of(req, state));
            return Err(poem::Error::from_response(page));
        }
        Ok(PostForm(fields))
    }
}
