//! An interaction's own webhook routes (filling in its deferred response, follow-ups, deleting the
//! message a 🗑 was pressed on), which Discord authenticates by the interaction's token in the URL.
//! With a bot token they go through serenity's `Http` like every other call. Without one (an
//! HTTP-only replica), serenity would still send `Authorization: Bot ` with nothing after it, so
//! the same requests are built by serenity and sent here with no `Authorization` header at all.

use serenity::all::{CreateAttachment, Http, HttpError};
use serenity::builder::Builder as _;
use serenity::http::{LightMethod, Multipart, MultipartUpload, Request, Route};

use super::render::Rendered;

/// How webhook calls are sent.
#[derive(Clone, Copy)]
pub enum Webhooks<'a> {
    /// With the bot's token, through serenity.
    Bot(&'a Http),
    /// Without a token: serenity's requests, sent by `client` without `Authorization`; `http` gives
    /// the application id and the `api_proxy`.
    Tokenless { http: &'a Http, client: &'a reqwest::Client },
}

impl Webhooks<'_> {
    fn http(&self) -> &Http {
        match self {
            Webhooks::Bot(http) | Webhooks::Tokenless { http, .. } => http,
        }
    }

    /// Fills in the interaction's deferred response.
    pub async fn edit_original(&self, token: &str, r: &Rendered) -> serenity::Result<()> {
        let Webhooks::Tokenless { http, client } = *self else {
            return r.edit().execute(self.http(), token).await.map(|_| ());
        };
        let route = Route::WebhookOriginalInteractionResponse { application_id: application_id(http)?, token };
        send(client, http, with_payload(Request::new(route, LightMethod::Patch), &r.edit(), r)?).await
    }

    /// Sends a follow-up message for the interaction.
    pub async fn followup(&self, token: &str, r: &Rendered) -> serenity::Result<()> {
        let Webhooks::Tokenless { http, client } = *self else {
            return r.followup().execute(self.http(), (None, token)).await.map(|_| ());
        };
        let route = Route::WebhookFollowupMessages { application_id: application_id(http)?, token };
        send(client, http, with_payload(Request::new(route, LightMethod::Post), &r.followup(), r)?).await
    }

    /// Deletes the interaction's original message: for a button press, the message it is on.
    pub async fn delete_original(&self, token: &str) -> serenity::Result<()> {
        let Webhooks::Tokenless { http, client } = *self else {
            return self.http().delete_original_interaction_response(token).await;
        };
        let route = Route::WebhookOriginalInteractionResponse { application_id: application_id(http)?, token };
        send(client, http, Request::new(route, LightMethod::Delete)).await
    }
}

fn application_id(http: &Http) -> Result<serenity::all::ApplicationId, HttpError> {
    http.application_id().ok_or(HttpError::ApplicationIdMissing)
}

/// The JSON body, or with a chart the multipart form serenity would send.
fn with_payload<'a>(req: Request<'a>, body: &impl serde::Serialize, r: &Rendered) -> serde_json::Result<Request<'a>> {
    Ok(match r.image() {
        None => req.body(Some(serde_json::to_vec(body)?)),
        Some((name, bytes)) => req.multipart(Some(Multipart {
            upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(bytes.clone(), name.clone())]),
            payload_json: Some(serde_json::to_string(body)?),
            fields: Vec::new(),
        })),
    })
}

async fn send(client: &reqwest::Client, http: &Http, req: Request<'_>) -> serenity::Result<()> {
    let mut request = req.build(client, "", http.proxy.as_deref())?.build()?;
    request.headers_mut().remove(reqwest::header::AUTHORIZATION);
    let method = request.method().clone();
    let response = client.execute(request).await?;
    if response.status().is_success() {
        return Ok(());
    }
    Err(HttpError::UnsuccessfulRequest(serenity::all::ErrorResponse::from_response(response, method).await).into())
}
