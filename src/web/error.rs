//! The console's error pages: 400 (a parameter is wrong: the page says which and what it takes),
//! 404 (no such page or case), 500 (the database failed: logged whole, shown as a sentence), 503
//! (the snapshot cannot be built yet). Each is a whole page with the menu, so a person can go on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::render;

/// Why a page cannot be shown.
#[derive(Debug)]
pub(crate) struct WebError {
    status: StatusCode,
    message: String,
}

impl WebError {
    /// 400: the request is wrong; `message` says how (in Chinese, naming the parameter).
    pub(crate) fn bad_request(message: impl Into<String>) -> WebError {
        WebError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404: `message` says what was not found.
    pub(crate) fn not_found(message: impl Into<String>) -> WebError {
        WebError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// `status` with `message` (a refusal of the gate: 401, 403, 409, 422, 429).
    pub(crate) fn with_status(status: StatusCode, message: impl Into<String>) -> WebError {
        WebError {
            status,
            message: message.into(),
        }
    }

    /// The status code.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The sentence shown.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

/// A failure of the database or of rendering: logged with its causes, shown as 500.
impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> WebError {
        tracing::error!("console: {}", crate::error::chain(&e));
        WebError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message:
                "读取数据时出错，详情见 duewatch 的日志（journalctl -u duewatch）。请稍后再试。"
                    .to_owned(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::BAD_REQUEST => "请求有误",
            StatusCode::NOT_FOUND => "未找到",
            StatusCode::UNAUTHORIZED => "需要登录",
            StatusCode::FORBIDDEN => "无权进行此操作",
            StatusCode::CONFLICT => "不能在此记录",
            StatusCode::UNPROCESSABLE_ENTITY => "未予记录",
            StatusCode::TOO_MANY_REQUESTS => "尝试次数过多",
            _ => "出错了",
        };
        let body = render::page(
            "error.html",
            minijinja::context! { title, status => self.status.as_u16(), message => self.message.clone() },
        );
        match body {
            Ok(html) => (self.status, html).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

/// Any path that is not a route.
pub(crate) async fn not_found(uri: axum::http::Uri) -> WebError {
    WebError::not_found(format!("没有“{}”这个页面。请从上方菜单进入。", uri.path()))
}
