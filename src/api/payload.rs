//! `JsonBytes<T>`: a JSON answer already encoded (so it can be cached and served as bytes) that
//! still documents `T`'s schema in the OpenAPI spec.

use std::marker::PhantomData;

use bytes::Bytes;
use poem::http::header;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};

pub struct JsonBytes<T> {
    body: Bytes,
    _schema: PhantomData<fn() -> T>,
}

impl<T: ToJSON> JsonBytes<T> {
    pub fn encode(value: &T) -> JsonBytes<T> {
        let json = value.to_json().unwrap_or(serde_json::Value::Null);
        JsonBytes::from_bytes(Bytes::from(serde_json::to_vec(&json).unwrap_or_default()))
    }
}

impl<T> JsonBytes<T> {
    pub fn from_bytes(body: Bytes) -> JsonBytes<T> {
        JsonBytes {
            body,
            _schema: PhantomData,
        }
    }
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
}

impl<T: Type> Payload for JsonBytes<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .header(header::CONTENT_TYPE, Self::content_type())
            .body(self.body)
    }
}

impl<T> JsonBytes<T> {
    fn content_type() -> &'static str {
        "application/json; charset=utf-8"
    }
}
