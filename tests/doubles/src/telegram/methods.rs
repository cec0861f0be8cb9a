//! The Bot API methods the double implements.
//!
//! To add a method, write a `fn(&mut Ctx) -> Result<Value, ApiError>` and add
//! a [`MethodSpec`] for it to [`METHODS`]; set `rate_limited` for methods that
//! send messages so the flood-limit hook ([`super::limits`]) sees them.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::wire::{param_bool, param_i64, param_json, param_str};
use super::{Shared, State, StoredMessage, WebhookInfo, html, updates};

/// The bot's user id when the token does not start with a numeric id.
pub(crate) const DEFAULT_BOT_ID: i64 = 7_000_000_001;

/// `getUpdates` long polls wait at most this long, whatever `timeout` asks.
const MAX_POLL: Duration = Duration::from_secs(5);

const NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/// An `ok: false` answer.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub(crate) fn new(code: u16, description: impl Into<String>) -> ApiError {
        ApiError {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    fn bad_request(what: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, format!("Bad Request: {what}"))
    }

    pub(crate) fn retry_after(seconds: u32) -> ApiError {
        ApiError {
            code: 429,
            description: format!("Too Many Requests: retry after {seconds}"),
            retry_after: Some(seconds),
        }
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(seconds) = self.retry_after {
            body["parameters"] = json!({"retry_after": seconds});
        }
        body
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// What a method needs: the state (locked), the token and the parameters.
pub(crate) struct Ctx<'a> {
    state: &'a mut State,
    token: &'a str,
    params: &'a Value,
}

enum Run {
    /// Answered at once, under the state lock.
    Now(fn(&mut Ctx) -> Result<Value>),
    /// `getUpdates`, which may wait for updates.
    GetUpdates,
}

/// One Bot API method.
pub(crate) struct MethodSpec {
    /// The canonical name; requests match it case-insensitively.
    pub name: &'static str,
    /// Whether Telegram's flood limits apply (the method sends a message).
    pub rate_limited: bool,
    run: Run,
}

const fn now(name: &'static str, f: fn(&mut Ctx) -> Result<Value>) -> MethodSpec {
    MethodSpec {
        name,
        rate_limited: false,
        run: Run::Now(f),
    }
}

const fn send(name: &'static str, f: fn(&mut Ctx) -> Result<Value>) -> MethodSpec {
    MethodSpec {
        name,
        rate_limited: true,
        run: Run::Now(f),
    }
}

static METHODS: &[MethodSpec] = &[
    now("getMe", get_me),
    MethodSpec {
        name: "getUpdates",
        rate_limited: false,
        run: Run::GetUpdates,
    },
    send("sendMessage", send_message),
    send("sendPhoto", send_photo),
    send("sendDocument", send_document),
    now("sendChatAction", send_chat_action),
    now("editMessageText", edit_message_text),
    now("editMessageCaption", edit_message_caption),
    now("editMessageReplyMarkup", edit_message_reply_markup),
    now("deleteMessage", delete_message),
    now("answerCallbackQuery", answer_callback_query),
    now("setWebhook", set_webhook),
    now("deleteWebhook", delete_webhook),
    now("getWebhookInfo", get_webhook_info),
    now("setMyCommands", set_my_commands),
    now("getMyCommands", get_my_commands),
    now("deleteMyCommands", delete_my_commands),
    now("getFile", get_file),
    send("copyMessage", copy_message),
];

/// The method called `name`, compared case-insensitively like Telegram does.
pub(crate) fn find(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// Serves one call to a known method (token and failure checks are done).
pub(crate) async fn run(
    shared: &Shared,
    token: &str,
    spec: &MethodSpec,
    params: &Value,
) -> Result<Value> {
    let f = match spec.run {
        Run::GetUpdates => return get_updates(shared, params).await,
        Run::Now(f) => f,
    };
    let result = {
        let mut state = shared.lock();
        // A send without a usable chat id fails with 400 whatever the limits.
        if spec.rate_limited
            && let Ok(chat_id) = resolve_chat(&state, params)
            && let Err(seconds) = state.limits.check(chat_id, Instant::now())
        {
            return Err(ApiError::retry_after(seconds));
        }
        f(&mut Ctx {
            state: &mut state,
            token,
            params,
        })
    };
    // setWebhook / deleteWebhook may have dropped pending updates or changed
    // whether polling is allowed.
    shared.notify_updates();
    result
}

// ---------------------------------------------------------------- identity

fn bot_id(token: &str) -> i64 {
    token
        .split(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or(DEFAULT_BOT_ID)
}

/// The bot as a `User`; its id is the numeric prefix of the token.
pub(crate) fn bot_user(id: i64) -> Value {
    json!({
        "id": id,
        "is_bot": true,
        "first_name": "AutoOrder Test Bot",
        "username": "autoorder_test_bot",
    })
}

fn get_me(ctx: &mut Ctx) -> Result<Value> {
    let mut me = bot_user(bot_id(ctx.token));
    me["can_join_groups"] = json!(true);
    me["can_read_all_group_messages"] = json!(false);
    me["supports_inline_queries"] = json!(false);
    me["can_connect_to_business"] = json!(false);
    me["has_main_web_app"] = json!(false);
    Ok(me)
}

// ---------------------------------------------------------------- updates

async fn get_updates(shared: &Shared, params: &Value) -> Result<Value> {
    let offset = param_i64(params, "offset").unwrap_or(0);
    let limit = param_i64(params, "limit").unwrap_or(100).clamp(1, 100) as usize;
    let wait = Duration::from_secs(param_i64(params, "timeout").unwrap_or(0).max(0) as u64);
    let deadline = tokio::time::Instant::now() + wait.min(MAX_POLL);

    let mut changed = shared.updates_changed.subscribe();
    let generation = {
        let mut state = shared.lock();
        if state.webhook.is_some() {
            return Err(ApiError::new(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            ));
        }
        // Updates with an id below `offset` are confirmed; a negative offset
        // keeps only the last -offset updates.
        if offset > 0 {
            while state
                .updates
                .front()
                .is_some_and(|u| u["update_id"].as_i64().unwrap_or(i64::MIN) < offset)
            {
                state.updates.pop_front();
            }
        } else if offset < 0 {
            let keep = offset.unsigned_abs() as usize;
            while state.updates.len() > keep {
                state.updates.pop_front();
            }
        }
        state.poll_generation += 1;
        state.poll_generation
    };
    // Wakes an older long poll so it sees it was terminated by this one.
    shared.notify_updates();
    loop {
        changed.borrow_and_update();
        {
            let state = shared.lock();
            if state.poll_generation != generation {
                return Err(ApiError::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            if !state.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                let batch: Vec<Value> = state.updates.iter().take(limit).cloned().collect();
                return Ok(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(deadline, changed.changed())
            .await
            .is_err()
        {
            return Ok(json!([]));
        }
    }
}

// ---------------------------------------------------------------- helpers

/// The `chat_id` parameter as a chat id: a number, or an `@username` of a chat
/// seen in pushed updates.
fn resolve_chat(state: &State, params: &Value) -> Result<i64> {
    let Some(raw) = params.get("chat_id").filter(|v| !v.is_null()) else {
        return Err(ApiError::bad_request("chat_id is empty"));
    };
    let id = match param_i64(params, "chat_id") {
        Some(id) => id,
        None => {
            let username = raw.as_str().and_then(|s| s.strip_prefix('@'));
            username
                .and_then(|name| {
                    state.chats.iter().find_map(|(id, chat)| {
                        (chat["username"].as_str() == Some(name)).then_some(*id)
                    })
                })
                .ok_or_else(|| ApiError::bad_request("chat not found"))?
        }
    };
    if id == 0 {
        return Err(ApiError::bad_request("chat not found"));
    }
    Ok(id)
}

impl Ctx<'_> {
    fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name).filter(|v| !v.is_null())
    }

    /// `chat_id` as a chat id, refusing chats that do not exist or whose user
    /// blocked the bot or is deactivated.
    fn chat_id(&self) -> Result<i64> {
        let id = resolve_chat(self.state, self.params)?;
        if self.state.missing_chats.contains(&id) {
            return Err(ApiError::bad_request("chat not found"));
        }
        if self.state.deactivated.contains(&id) {
            return Err(ApiError::new(403, "Forbidden: user is deactivated"));
        }
        if self.state.blocked.contains(&id) {
            return Err(ApiError::new(403, "Forbidden: bot was blocked by the user"));
        }
        Ok(id)
    }

    fn chat(&self, chat_id: i64) -> Value {
        self.state
            .chats
            .get(&chat_id)
            .cloned()
            .unwrap_or_else(|| updates::chat(chat_id, chat_id))
    }

    /// A new message from the bot with the next message id.
    fn new_message(&mut self, chat_id: i64) -> Map<String, Value> {
        let message_id = self.state.next_message_id;
        self.state.next_message_id += 1;
        self.message_shell(chat_id, message_id)
    }

    fn message_shell(&self, chat_id: i64, message_id: i64) -> Map<String, Value> {
        let mut message = Map::new();
        message.insert("message_id".into(), json!(message_id));
        message.insert("from".into(), bot_user(bot_id(self.token)));
        message.insert("chat".into(), self.chat(chat_id));
        message.insert("date".into(), json!(updates::unix_now()));
        message
    }

    /// Stores a message the bot sent and returns it.
    fn store(&mut self, chat_id: i64, message: Map<String, Value>) -> Value {
        let message = Value::Object(message);
        let message_id = message["message_id"].as_i64().unwrap_or(0);
        self.state.messages.insert(
            (chat_id, message_id),
            StoredMessage {
                message: message.clone(),
                from_bot: true,
            },
        );
        message
    }

    /// `reply_to_message` for `reply_parameters` / `reply_to_message_id`.
    fn reply_to(&self, chat_id: i64) -> Option<Value> {
        let id = param_json(self.params, "reply_parameters")
            .and_then(|p| p.get("message_id").and_then(Value::as_i64))
            .or_else(|| param_i64(self.params, "reply_to_message_id"))?;
        let mut replied = self.state.messages.get(&(chat_id, id))?.message.clone();
        if let Some(object) = replied.as_object_mut() {
            object.remove("reply_to_message");
        }
        Some(replied)
    }

    /// Text (or caption) with `parse_mode` applied, and its entities.
    fn formatted(&self, key: &str, entities_key: &str) -> Result<Option<(String, Vec<Value>)>> {
        let Some(text) = param_str(self.params, key) else {
            return Ok(None);
        };
        let mode = param_str(self.params, "parse_mode").unwrap_or_default();
        if mode.eq_ignore_ascii_case("html") {
            let parsed = html::parse(&text)
                .map_err(|e| ApiError::bad_request(format_args!("can't parse entities: {e}")))?;
            return Ok(Some((parsed.text, parsed.entities)));
        }
        if !(mode.is_empty()
            || mode.eq_ignore_ascii_case("markdown")
            || mode.eq_ignore_ascii_case("markdownv2"))
        {
            return Err(ApiError::bad_request("unsupported parse_mode"));
        }
        // Markdown is passed through unparsed; explicit entities are kept.
        let entities = match param_json(self.params, entities_key) {
            Some(Value::Array(entities)) => entities,
            _ => Vec::new(),
        };
        Ok(Some((text, entities)))
    }

    fn caption(&self) -> Result<Option<(String, Vec<Value>)>> {
        let caption = self.formatted("caption", "caption_entities")?;
        if let Some((text, _)) = &caption
            && text.encode_utf16().count() > 1024
        {
            return Err(ApiError::bad_request("message caption is too long"));
        }
        Ok(caption.filter(|(text, _)| !text.is_empty()))
    }

    /// The inline keyboard to echo in the message, validated like Telegram;
    /// other reply markups are accepted but not part of a `Message`.
    fn reply_markup(&self) -> Result<Option<Value>> {
        let Some(markup) = param_json(self.params, "reply_markup") else {
            return Ok(None);
        };
        if !markup.is_object() {
            return Err(ApiError::bad_request(
                "can't parse reply keyboard markup JSON object",
            ));
        }
        let Some(rows) = markup.get("inline_keyboard") else {
            return Ok(None);
        };
        let Some(rows) = rows.as_array() else {
            return Err(ApiError::bad_request(
                "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array",
            ));
        };
        const ACTIONS: &[&str] = &[
            "url",
            "callback_data",
            "web_app",
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "callback_game",
            "pay",
        ];
        for row in rows {
            let Some(buttons) = row.as_array() else {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
                ));
            };
            for button in buttons {
                if button.get("text").and_then(Value::as_str).is_none() {
                    return Err(ApiError::bad_request(
                        "can't parse inline keyboard button: Field \"text\" must be of type String",
                    ));
                }
                if !ACTIONS.iter().any(|a| button.get(*a).is_some()) {
                    return Err(ApiError::bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
                if let Some(data) = button.get("callback_data") {
                    let len = data.as_str().map_or(0, str::len);
                    if !(1..=64).contains(&len) {
                        return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                    }
                }
            }
        }
        let empty = rows.iter().all(|r| r.as_array().is_some_and(Vec::is_empty));
        Ok((!empty).then_some(markup))
    }

    fn next_file(&mut self) -> u64 {
        let n = self.state.next_file;
        self.state.next_file += 1;
        n
    }
}

fn set_or_remove(message: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(value) => message.insert(key.into(), value),
        None => message.remove(key),
    };
}

fn non_empty(entities: Vec<Value>) -> Option<Value> {
    (!entities.is_empty()).then_some(Value::Array(entities))
}

// ---------------------------------------------------------------- sending

fn send_message(ctx: &mut Ctx) -> Result<Value> {
    let chat_id = ctx.chat_id()?;
    let (text, entities) = ctx
        .formatted("text", "entities")?
        .filter(|(text, _)| !text.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("message text is empty"))?;
    if text.encode_utf16().count() > 4096 {
        return Err(ApiError::bad_request("message is too long"));
    }
    let markup = ctx.reply_markup()?;
    let reply_to = ctx.reply_to(chat_id);
    let mut message = ctx.new_message(chat_id);
    set_or_remove(&mut message, "reply_to_message", reply_to);
    message.insert("text".into(), json!(text));
    set_or_remove(&mut message, "entities", non_empty(entities));
    set_or_remove(&mut message, "reply_markup", markup);
    Ok(ctx.store(chat_id, message))
}

/// What a file parameter holds: an upload, or a file id / URL string.
enum FileParam {
    Upload {
        size: u64,
        name: Option<String>,
        mime: Option<String>,
    },
    Reference(String),
}

fn file_param(ctx: &Ctx, key: &str) -> Result<FileParam> {
    match ctx.param(key) {
        Some(Value::Object(upload)) => Ok(FileParam::Upload {
            size: upload.get("size").and_then(Value::as_u64).unwrap_or(0),
            name: upload
                .get("file_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            mime: upload
                .get("content_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
        Some(Value::String(s)) if s.starts_with("attach://") || s.is_empty() => Err(
            ApiError::bad_request("wrong file identifier/HTTP URL specified"),
        ),
        Some(Value::String(s)) => Ok(FileParam::Reference(s.clone())),
        _ => Err(ApiError::bad_request(format_args!(
            "there is no {key} in the request"
        ))),
    }
}

fn send_photo(ctx: &mut Ctx) -> Result<Value> {
    let chat_id = ctx.chat_id()?;
    let photo = file_param(ctx, "photo")?;
    let caption = ctx.caption()?;
    let markup = ctx.reply_markup()?;
    let sizes = match photo {
        FileParam::Reference(id) if ctx.state.photos.contains_key(&id) => {
            ctx.state.photos[&id].clone()
        }
        photo => {
            let size = match photo {
                FileParam::Upload { size, .. } => size,
                FileParam::Reference(_) => 64_000,
            };
            let n = ctx.next_file();
            let sizes: Vec<Value> = [(90u64, 68u64), (320, 240), (800, 600)]
                .iter()
                .enumerate()
                .map(|(k, (w, h))| {
                    json!({
                        "file_id": format!("AgACAgUAAxkDAAIB{n:06}{k}AAHRb3RvRG91YmxlAQADAgADeQAD"),
                        "file_unique_id": format!("AQAD{n:06}{k}x"),
                        "width": w,
                        "height": h,
                        "file_size": size * w * w / (800 * 800),
                    })
                })
                .collect();
            let sizes = Value::Array(sizes);
            for size in sizes.as_array().into_iter().flatten() {
                if let Some(id) = size["file_id"].as_str() {
                    ctx.state.photos.insert(id.to_owned(), sizes.clone());
                }
            }
            sizes
        }
    };
    let reply_to = ctx.reply_to(chat_id);
    let mut message = ctx.new_message(chat_id);
    set_or_remove(&mut message, "reply_to_message", reply_to);
    message.insert("photo".into(), sizes);
    if let Some((text, entities)) = caption {
        message.insert("caption".into(), json!(text));
        set_or_remove(&mut message, "caption_entities", non_empty(entities));
    }
    set_or_remove(&mut message, "reply_markup", markup);
    Ok(ctx.store(chat_id, message))
}

fn guess_mime(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

fn send_document(ctx: &mut Ctx) -> Result<Value> {
    let chat_id = ctx.chat_id()?;
    let document = file_param(ctx, "document")?;
    let caption = ctx.caption()?;
    let markup = ctx.reply_markup()?;
    let document = match document {
        FileParam::Reference(id) if ctx.state.documents.contains_key(&id) => {
            ctx.state.documents[&id].clone()
        }
        document => {
            let n = ctx.next_file();
            let (size, name, mime) = match document {
                FileParam::Upload { size, name, mime } => (size, name, mime),
                FileParam::Reference(_) => (0, None, None),
            };
            let name = name
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "document".into());
            let mime = mime.unwrap_or_else(|| guess_mime(&name).to_owned());
            let id = format!("BQACAgUAAxkDAAIB{n:06}AAHEb2N1bWVudERvdWJsZQADeQAD");
            let document = json!({
                "file_name": name,
                "mime_type": mime,
                "file_id": id,
                "file_unique_id": format!("AgAD{n:06}d"),
                "file_size": size,
            });
            ctx.state.documents.insert(id, document.clone());
            document
        }
    };
    let reply_to = ctx.reply_to(chat_id);
    let mut message = ctx.new_message(chat_id);
    set_or_remove(&mut message, "reply_to_message", reply_to);
    message.insert("document".into(), document);
    if let Some((text, entities)) = caption {
        message.insert("caption".into(), json!(text));
        set_or_remove(&mut message, "caption_entities", non_empty(entities));
    }
    set_or_remove(&mut message, "reply_markup", markup);
    Ok(ctx.store(chat_id, message))
}

fn send_chat_action(ctx: &mut Ctx) -> Result<Value> {
    ctx.chat_id()?;
    if param_str(ctx.params, "action").is_none_or(|a| a.is_empty()) {
        return Err(ApiError::bad_request("wrong parameter action in request"));
    }
    Ok(json!(true))
}

// ---------------------------------------------------------------- editing

/// What an edit applies to.
enum Target {
    Inline,
    Message(i64, i64),
}

fn target(ctx: &Ctx) -> Result<Target> {
    if param_str(ctx.params, "inline_message_id").is_some() {
        return Ok(Target::Inline);
    }
    let chat_id = ctx.chat_id()?;
    let message_id = param_i64(ctx.params, "message_id")
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    Ok(Target::Message(chat_id, message_id))
}

/// The message to edit. One the double never saw is taken to be a bot
/// message (a text message, or a photo for caption edits), so tests may edit
/// messages they made up; deleted and user messages fail like on Telegram.
fn editable(ctx: &Ctx, chat_id: i64, message_id: i64, photo: bool) -> Result<Map<String, Value>> {
    if ctx.state.deleted.contains(&(chat_id, message_id)) {
        return Err(ApiError::bad_request("message to edit not found"));
    }
    match ctx.state.messages.get(&(chat_id, message_id)) {
        Some(stored) if !stored.from_bot => Err(ApiError::bad_request("message can't be edited")),
        Some(stored) => Ok(stored.message.as_object().cloned().unwrap_or_default()),
        None => {
            let mut message = ctx.message_shell(chat_id, message_id);
            if photo {
                message.insert(
                    "photo".into(),
                    json!([{"file_id": "AgACAgUAAxkDAAIBplaceholder", "file_unique_id": "AQADplaceholder",
                            "width": 800, "height": 600, "file_size": 64000}]),
                );
            } else {
                message.insert("text".into(), json!("…"));
            }
            Ok(message)
        }
    }
}

/// Stores an edited message after checking it changed.
fn save_edit(
    ctx: &mut Ctx,
    chat_id: i64,
    before: &Map<String, Value>,
    mut after: Map<String, Value>,
) -> Result<Value> {
    if *before == after {
        return Err(ApiError::new(400, NOT_MODIFIED));
    }
    after.insert("edit_date".into(), json!(updates::unix_now()));
    Ok(ctx.store(chat_id, after))
}

fn edit_message_text(ctx: &mut Ctx) -> Result<Value> {
    let target = target(ctx)?;
    let (text, entities) = ctx
        .formatted("text", "entities")?
        .filter(|(text, _)| !text.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("message text is empty"))?;
    if text.encode_utf16().count() > 4096 {
        return Err(ApiError::bad_request("message is too long"));
    }
    let markup = ctx.reply_markup()?;
    let Target::Message(chat_id, message_id) = target else {
        return Ok(json!(true));
    };
    let before = editable(ctx, chat_id, message_id, false)?;
    if !before.contains_key("text") {
        return Err(ApiError::bad_request(
            "there is no text in the message to edit",
        ));
    }
    let mut after = before.clone();
    after.remove("edit_date");
    after.insert("text".into(), json!(text));
    set_or_remove(&mut after, "entities", non_empty(entities));
    set_or_remove(&mut after, "reply_markup", markup);
    let mut unchanged = before.clone();
    unchanged.remove("edit_date");
    save_edit(ctx, chat_id, &unchanged, after)
}

fn edit_message_caption(ctx: &mut Ctx) -> Result<Value> {
    let target = target(ctx)?;
    let caption = ctx.caption()?;
    let markup = ctx.reply_markup()?;
    let Target::Message(chat_id, message_id) = target else {
        return Ok(json!(true));
    };
    let before = editable(ctx, chat_id, message_id, true)?;
    if before.contains_key("text") {
        return Err(ApiError::bad_request(
            "there is no caption in the message to edit",
        ));
    }
    let mut after = before.clone();
    after.remove("edit_date");
    let (text, entities) = caption.unzip();
    set_or_remove(&mut after, "caption", text.map(Value::String));
    set_or_remove(&mut after, "caption_entities", entities.and_then(non_empty));
    set_or_remove(&mut after, "reply_markup", markup);
    let mut unchanged = before.clone();
    unchanged.remove("edit_date");
    save_edit(ctx, chat_id, &unchanged, after)
}

fn edit_message_reply_markup(ctx: &mut Ctx) -> Result<Value> {
    let target = target(ctx)?;
    let markup = ctx.reply_markup()?;
    let Target::Message(chat_id, message_id) = target else {
        return Ok(json!(true));
    };
    let before = editable(ctx, chat_id, message_id, false)?;
    let mut after = before.clone();
    after.remove("edit_date");
    set_or_remove(&mut after, "reply_markup", markup);
    let mut unchanged = before.clone();
    unchanged.remove("edit_date");
    save_edit(ctx, chat_id, &unchanged, after)
}

fn delete_message(ctx: &mut Ctx) -> Result<Value> {
    let chat_id = ctx.chat_id()?;
    let message_id = param_i64(ctx.params, "message_id")
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    if !ctx.state.deleted.insert((chat_id, message_id)) {
        return Err(ApiError::bad_request("message to delete not found"));
    }
    ctx.state.messages.remove(&(chat_id, message_id));
    Ok(json!(true))
}

fn answer_callback_query(ctx: &mut Ctx) -> Result<Value> {
    if param_str(ctx.params, "callback_query_id").is_none_or(|id| id.is_empty()) {
        return Err(ApiError::bad_request(
            "query is too old and response timeout expired or query ID is invalid",
        ));
    }
    if param_str(ctx.params, "text").is_some_and(|t| t.encode_utf16().count() > 200) {
        return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
    }
    Ok(json!(true))
}

// ---------------------------------------------------------------- webhook

fn set_webhook(ctx: &mut Ctx) -> Result<Value> {
    let url = param_str(ctx.params, "url").unwrap_or_default();
    let drop_pending_updates = param_bool(ctx.params, "drop_pending_updates").unwrap_or(false);
    if url.is_empty() {
        ctx.state.webhook = None;
    } else {
        let Some(rest) = url.strip_prefix("https://") else {
            return Err(ApiError::bad_request(
                "bad webhook: An HTTPS URL must be provided for webhook",
            ));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let port = authority
            .rsplit_once(':')
            .filter(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .map_or("443", |(_, p)| p);
        if !["80", "88", "443", "8443"].contains(&port) {
            return Err(ApiError::bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            ));
        }
        let secret_token = param_str(ctx.params, "secret_token").filter(|s| !s.is_empty());
        if let Some(secret) = &secret_token
            && (secret.len() > 256
                || !secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return Err(ApiError::bad_request(
                "bad webhook: secret token contains unallowed characters",
            ));
        }
        let allowed_updates = match param_json(ctx.params, "allowed_updates") {
            Some(Value::Array(kinds)) => Some(
                kinds
                    .iter()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        };
        ctx.state.webhook = Some(WebhookInfo {
            url,
            secret_token,
            allowed_updates,
            drop_pending_updates,
            max_connections: param_i64(ctx.params, "max_connections").map(|m| m as u32),
        });
    }
    if drop_pending_updates {
        ctx.state.updates.clear();
    }
    Ok(json!(true))
}

fn delete_webhook(ctx: &mut Ctx) -> Result<Value> {
    ctx.state.webhook = None;
    if param_bool(ctx.params, "drop_pending_updates").unwrap_or(false) {
        ctx.state.updates.clear();
    }
    Ok(json!(true))
}

fn get_webhook_info(ctx: &mut Ctx) -> Result<Value> {
    let mut info = json!({
        "url": "",
        "has_custom_certificate": false,
        "pending_update_count": ctx.state.updates.len(),
    });
    if let Some(webhook) = &ctx.state.webhook {
        info["url"] = json!(webhook.url);
        info["max_connections"] = json!(webhook.max_connections.unwrap_or(40));
        info["ip_address"] = json!("127.0.0.1");
        if let Some(allowed) = &webhook.allowed_updates {
            info["allowed_updates"] = json!(allowed);
        }
    }
    Ok(info)
}

// ---------------------------------------------------------------- commands

fn set_my_commands(ctx: &mut Ctx) -> Result<Value> {
    let Some(Value::Array(commands)) = param_json(ctx.params, "commands") else {
        return Err(ApiError::bad_request("parameter \"commands\" is required"));
    };
    for command in &commands {
        let name = command["command"].as_str().unwrap_or("");
        let valid = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
        }
        let description = command["description"].as_str().unwrap_or("");
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiError::bad_request("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
    }
    ctx.state.commands = Value::Array(commands);
    Ok(json!(true))
}

fn get_my_commands(ctx: &mut Ctx) -> Result<Value> {
    Ok(ctx.state.commands.clone())
}

fn delete_my_commands(ctx: &mut Ctx) -> Result<Value> {
    ctx.state.commands = json!([]);
    Ok(json!(true))
}

// ---------------------------------------------------------------- files

fn get_file(ctx: &mut Ctx) -> Result<Value> {
    let file_id = param_str(ctx.params, "file_id");
    super::files::get_file(&ctx.state.files, file_id.as_deref())
}

// ---------------------------------------------------------------- copying

/// What a copy keeps of the original: its content, never who sent it, where, when, what it
/// replied to or its keyboard.
const NOT_COPIED: &[&str] = &[
    "message_id",
    "message_thread_id",
    "from",
    "sender_chat",
    "chat",
    "date",
    "edit_date",
    "forward_origin",
    "forward_from",
    "forward_from_chat",
    "forward_from_message_id",
    "forward_signature",
    "forward_sender_name",
    "forward_date",
    "is_automatic_forward",
    "reply_to_message",
    "reply_markup",
    "via_bot",
    "author_signature",
    "media_group_id",
];

/// Message keys that make a message copyable content (service messages have none).
const CONTENT: &[&str] = &[
    "text",
    "photo",
    "document",
    "video",
    "animation",
    "audio",
    "voice",
    "video_note",
    "sticker",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
];

/// `copyMessage`: a new message in `chat_id` with the content of `from_chat_id`'s
/// `message_id` (a message pushed in an update or sent by the bot), without a "forwarded
/// from" header; `caption` replaces a media caption; answers `{"message_id": n}` like Telegram.
fn copy_message(ctx: &mut Ctx) -> Result<Value> {
    let chat_id = ctx.chat_id()?;
    let from = match ctx.param("from_chat_id") {
        Some(_) => resolve_chat(
            ctx.state,
            &json!({ "chat_id": ctx.params.get("from_chat_id").cloned() }),
        )?,
        None => return Err(ApiError::bad_request("from_chat_id is empty")),
    };
    let message_id = param_i64(ctx.params, "message_id")
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    let original = match ctx.state.messages.get(&(from, message_id)) {
        Some(stored) if !ctx.state.deleted.contains(&(from, message_id)) => {
            stored.message.as_object().cloned().unwrap_or_default()
        }
        _ => return Err(ApiError::bad_request("message to copy not found")),
    };
    if !CONTENT.iter().any(|k| original.contains_key(*k)) {
        return Err(ApiError::bad_request("message can't be copied"));
    }
    let caption = ctx.caption()?;
    let markup = ctx.reply_markup()?;
    let reply_to = ctx.reply_to(chat_id);
    let mut message = ctx.new_message(chat_id);
    for (key, value) in original {
        if !NOT_COPIED.contains(&key.as_str()) {
            message.insert(key, value);
        }
    }
    let is_media = !message.contains_key("text");
    if is_media && ctx.param("caption").is_some() {
        message.remove("caption_entities");
        match caption {
            Some((text, entities)) => {
                message.insert("caption".into(), json!(text));
                set_or_remove(&mut message, "caption_entities", non_empty(entities));
            }
            None => {
                message.remove("caption");
            }
        }
    }
    set_or_remove(&mut message, "reply_to_message", reply_to);
    set_or_remove(&mut message, "reply_markup", markup);
    let stored = ctx.store(chat_id, message);
    Ok(json!({ "message_id": stored["message_id"] }))
}
