"""The Gradio chat page: layout and event wiring only; webui/handlers.py says what events do."""

from __future__ import annotations

from pathlib import Path

import gradio as gr  # webui/__init__.py has turned Gradio's analytics off

from embeddings.articles import SUPPORTED_SUFFIXES
from embeddings.watch import FolderWatcher
from qa.answer import DEFAULT_K, Answerer
from qa.feedback import FEEDBACK_FILE, FeedbackLog
from webui.handlers import ARTICLE_TAB, READER_EMPTY, SOURCES_TAB, PageHandlers
from webui.render import escape_html, sources_html
from webui.stored import StoredConversation

CSS = """
/* Desktop: the conversation on the left with the question box at its foot, the panel on the right;
   the page itself does not scroll, each area scrolls inside, so opening a source moves nothing. */
.gradio-container { max-width: 1440px !important; padding-top: 0.5rem !important; }
.gradio-container .main.app { padding-inline: clamp(12px, 2.5vw, 32px) !important; }  /* a phone's width: content */
#main { --chat-height: calc(100vh - 290px); --panel-body: calc(100vh - 200px); }
.masthead { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
.masthead h1 { font-size: 1.35rem; margin: 0; }
.masthead p { margin: 0; color: var(--body-text-color-subdued); }
#panel { position: sticky; top: 0.5rem; align-self: flex-start; }
#under-question { align-items: center; }
#restriction p { margin: 0; }
#settings .label-wrap, footer a, footer button { min-height: 28px; display: inline-flex; align-items: center; }
#restriction, #restriction * { overflow: visible !important; }  /* one line: nothing to scroll */
.sources, .reader { max-height: var(--panel-body); overflow-y: auto; }
#only-articles .wrap { flex-direction: column; flex-wrap: nowrap; max-height: calc(var(--panel-body) - 260px);
  min-height: 120px; overflow-y: auto; }  /* a checklist, one article a line, scrolling inside the panel */
@media (max-width: 899px) {
  /* A phone: the panel above the conversation, each a share of the screen, both in view. */
  /* Gradio scopes the rules in here to its container's content: they name only what is inside it */
  #main { --chat-height: calc(75vh - 350px); --panel-body: 25vh; }
  #main:not(:has(.source-card)) { --chat-height: calc(75vh - 190px); }  /* no sources yet: the chat takes their room */
  #main, #conversation, #panel { gap: 0.4rem !important; }
  #main { flex-direction: column; flex-wrap: nowrap; }
  #panel { order: -1; position: static; min-width: 0 !important; max-width: 100%; }
  #panel .tab-container button { padding-inline: 6px; font-size: 0.9rem; }  /* all five tabs in one line */
  .masthead p { display: none; }
  .masthead h1 { font-size: 1.15rem; }
}
.conversation { height: var(--chat-height); overflow-y: auto; padding: 0.5rem; display: flex;
  flex-direction: column; gap: 1rem; border: 1px solid var(--border-color-primary); border-radius: 8px; }
.turn { display: flex; flex-direction: column; gap: 0.5rem; }
.message { border-radius: 10px; padding: 0.5rem 0.8rem; max-width: 92%; }
.message p { margin: 0.2rem 0; }
.message.user { align-self: flex-end; background: var(--background-fill-secondary); }
.message.bot { align-self: flex-start; border: 1px solid var(--border-color-primary); }
.message blockquote { margin: 0.3rem 0; padding-left: 0.7rem; border-left: 3px solid #b45309; }
.note { color: var(--body-text-color-subdued); }
.cited { list-style: none; padding: 0; margin: 0.2rem 0; }
.cited-heading { margin-top: 0.5rem !important; }
.welcome h2 { font-size: 1.15rem; margin: 0.2rem 0 0.4rem; }
.examples { list-style: none; padding: 0; margin: 0.3rem 0; display: flex; flex-direction: column; gap: 0.4rem; }
.example { text-align: left; font: inherit; padding: 0.45rem 0.8rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  color: var(--body-text-color); min-height: 32px; }
.cite, .cite-line, .open-source, .back-to-answer { background: none; border: none; padding: 0.1rem 0.15rem;
  font: inherit; color: #1d4ed8; text-decoration: underline; cursor: pointer; text-align: left;
  min-height: 24px; min-width: 24px; }
.open-source { color: inherit; font-weight: 700; text-decoration: none; }
.search-all { margin: 0.4rem 0; min-height: 32px; padding: 0.2rem 0.8rem; border-radius: 8px; font: inherit;
  border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; }
.conversations { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column; gap: 0.4rem; }
.conversations li { display: flex; gap: 0.5rem; align-items: center; }
.open-conversation { flex: 1; text-align: left; font: inherit; padding: 0.4rem 0.7rem; min-height: 32px;
  border: 1px solid var(--border-color-primary); border-radius: 8px; background: var(--background-fill-secondary);
  color: var(--body-text-color); cursor: pointer; }
.delete-conversation { font: inherit; min-height: 32px; padding: 0.2rem 0.7rem; border-radius: 8px; cursor: pointer;
  border: 1px solid #b91c1c; color: #b91c1c; background: var(--background-fill-primary); }
.votes { display: flex; gap: 0.5rem; margin-top: 0.4rem; }
.vote { min-height: 32px; padding: 0.2rem 0.8rem; border-radius: 16px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-primary); color: var(--body-text-color); font: inherit; cursor: pointer; }
.vote[aria-pressed="true"] { background: #1d4ed8; border-color: #1d4ed8; color: #fff; }
.gradio-container :focus-visible, .source-card:focus-within { outline: 3px solid #1d4ed8 !important;
  outline-offset: 2px; }
.sources { display: flex; flex-direction: column; gap: 0.75rem; }
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.8rem; }
.source-card header { font-weight: 700; display: flex; gap: 0.4rem; flex-wrap: wrap; align-items: baseline; }
.source-paragraph, .source-meta { color: var(--body-text-color-subdued); font-weight: 400; }
.source-score { margin-left: auto; color: var(--body-text-color-subdued); font-weight: 400; font-size: 0.85em; }
.source-card p { margin: 0.4rem 0 0; line-height: 1.5; }
.source-card mark { color: inherit; padding: 0 0.1em; border-radius: 2px; }
.source-card mark.answer { background: #fde68a; }
.source-card mark.match { background: #fef3c7; }
.answer-phrase { font-weight: 700; text-decoration: underline; text-decoration-thickness: 2px; }
.answer-card { border-color: #f59e0b; border-width: 2px; }
.sources-empty, .reader-empty { color: var(--body-text-color-subdued); }
.source-card { cursor: pointer; }
.source-card:hover, .source-card:focus { border-color: var(--color-accent); outline: none; }
.hidden-input { display: none !important; }
.reader header { position: sticky; top: 0; background: var(--block-background-fill); padding-bottom: 0.5rem; }
.reader-title { margin: 0 0 0.2rem; font-size: 1.1rem; }
.source-heading { margin: 0; font-size: 1rem; }
.reader-meta, .reader-link, .reader-number, .reader-page { color: var(--body-text-color-subdued); font-size: 0.9em; }
.reader-page { border-top: 1px dashed var(--border-color-primary); margin-top: 0.6rem; text-align: right; }
.reader-paragraph { line-height: 1.55; padding: 0.2rem 0.4rem; border-left: 3px solid transparent; }
.reader-paragraph.cited { border-left-color: #f59e0b; background: var(--background-fill-secondary); }
.reader mark.answer { background: #fde68a; color: inherit; }
"""

# A citation, a source card or a vote hands a few numbers to a hidden box, whose change event asks
# the server (no article text passes through this script); the time stamp makes every click a
# change. Escape in the panel, or its "Back to the answer", takes the focus back to what opened it.
PAGE_JS = """
() => {
  let opener = null;  // what opened the panel, found again by its numbers (the panel may redraw it)
  const send = (box, message) => {
    const input = document.querySelector(`#${box} textarea`);
    if (!input) return;
    input.value = JSON.stringify({...message, at: Date.now()});
    input.dispatchEvent(new Event('input', {bubbles: true}));
  };
  const goBack = (tries = 0) => {
    const found = opener && document.querySelector(
      `${opener.area} button.${opener.kind}[data-turn="${opener.turn}"][data-source="${opener.source}"]`);
    if (found && found.offsetParent === null && tries < 10) {  // a card on the hidden Sources tab
      [...document.querySelectorAll('#panel-tabs [role=tab]')].find((t) => t.textContent.trim() === 'Sources')
        ?.click();
      return requestAnimationFrame(() => goBack(tries + 1));
    }
    (found || document.querySelector('#question textarea'))?.focus({preventScroll: true});
  };
  document.addEventListener('click', (event) => {
    const vote = event.target.closest('#chat button.vote');
    if (vote) return send('cast-vote', {turn: Number(vote.dataset.turn), vote: vote.dataset.vote});
    const listed = event.target.closest('#conversation-list button[data-index]');
    if (listed) {
      const box = listed.classList.contains('delete-conversation') ? 'delete-conversation' : 'open-conversation';
      return send(box, {index: Number(listed.dataset.index)});
    }
    const widen = event.target.closest('#chat button.search-all');
    if (widen) return send('search-all', {turn: Number(widen.dataset.turn)});
    if (event.target.closest('.back-to-answer')) return goBack();
    const example = event.target.closest('#chat button.example');
    if (example) {  // an example question asks itself, through the question box and its Send button
      const question = document.querySelector('#question textarea');
      question.value = example.dataset.question;
      question.dispatchEvent(new Event('input', {bubbles: true}));
      return setTimeout(() => document.querySelector('#send')?.click());
    }
    const source = event.target.closest('#chat [data-source], #sources [data-source]');
    if (!source) return;
    const button = source.matches('button') ? source : source.querySelector('button');
    const {turn, source: number} = source.dataset;
    opener = {area: source.closest('#chat') ? '#chat' : '#sources', kind: button.classList[0], turn, source: number};
    send('open-source', {turn: Number(turn), source: Number(number)});
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && event.target.closest('#panel')) goBack();
  });
  // Gradio names its drop zone "Click to upload or drop files" while it reads "Drop File Here - or -
  // Click to Upload"; a name unlike the words shown defeats speech control, so the words name it.
  const nameDropZones = () => document.querySelectorAll('#upload-files .upload-container[aria-label]')
    .forEach((zone) => zone.removeAttribute('aria-label'));
  nameDropZones();
  new MutationObserver(nameDropZones).observe(document.body, {childList: true, subtree: true, attributes: true,
    attributeFilter: ['aria-label']});
}
"""
# The article scrolls inside the panel (never the window) to the cited paragraph, and takes the focus.
SHOW_CITED = """
() => {
  let frames = 0;
  const show = () => {  // once the panel has drawn the article (Gradio renders after this runs)
    const reader = document.querySelector('#reader .reader');
    if (!reader || reader.offsetParent === null || reader.dataset.shown) {
      if (frames++ < 60) requestAnimationFrame(show);
      return;
    }
    reader.dataset.shown = 'yes';
    const cited = reader.querySelector('#reader-cited');
    if (cited) {
      const offset = cited.getBoundingClientRect().top - reader.getBoundingClientRect().top;
      reader.scrollTop += offset - reader.clientHeight / 3;
    }
    reader.focus({preventScroll: true});
  };
  show();
}
"""
# A new answer scrolls the conversation (not the window) to its question.
SHOW_LATEST = """
() => {
  const chat = document.querySelector('#chat .conversation');
  const latest = chat?.querySelector('.turn:last-of-type');
  if (latest) chat.scrollTop += latest.getBoundingClientRect().top - chat.getBoundingClientRect().top - 8;
}
"""


def theme() -> gr.themes.Base:
    """Local fonts only: Gradio's bundled semibold face is broken, and nothing loads from the web.
    Colours dark enough to read (contrast of 4.5:1 or more): Gradio's white on orange and light grey
    text are not."""
    return gr.themes.Default(
        primary_hue="blue",
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    ).set(
        button_primary_background_fill="#1d4ed8",
        button_primary_background_fill_hover="#1e40af",
        button_primary_text_color="#ffffff",
        body_text_color_subdued="#4b5563",
        block_label_text_color="#374151",
        block_info_text_color="#4b5563",
        input_placeholder_color="#6b7280",
        color_accent="#1d4ed8",
        color_accent_soft="#dbeafe",
    )


def build_page(
    answerer: Answerer,
    *,
    articles_dir: Path | None = None,
    watcher: FolderWatcher | None = None,
    private_fetches: bool = True,
    feedback: FeedbackLog | None = None,
    title: str = "Ask the articles",
) -> gr.Blocks:
    """The chat page for `answerer`: chat box with votes, examples, a top-k control, the sources
    panel and reader, the library, and the conversation kept in the browser (encrypted) across
    reloads. With `articles_dir`, readers may add articles to that folder from the page (by address
    too; on this machine's own network only with `private_fetches`); with a `watcher`, the page says
    what each change to the watched folder did, without a reload."""
    handlers = PageHandlers(
        answerer,
        feedback or FeedbackLog(answerer.retriever.index_dir / FEEDBACK_FILE),
        articles_dir,
        watcher,
        private_fetches=private_fetches,
    )

    with gr.Blocks(title=title) as page:
        gr.HTML(
            f'<header class="masthead"><h1>{escape_html(title)}</h1><p>Answers quote the articles, every passage'
            " cited to its article and paragraph.</p></header>",
            elem_id="masthead",
        )
        folder_news = gr.Markdown(elem_id="folder-news", visible=watcher is not None)  # what a watched change did
        saved = gr.BrowserState(StoredConversation().dump(), storage_key="article-qa-conversation")
        kept_narrowing = gr.BrowserState({}, storage_key="article-qa-library")  # the restriction, across reloads
        library_restored = gr.State(False)  # whether the kept restriction was restored or a new one chosen
        kept_conversations = gr.BrowserState([], storage_key="article-qa-conversations")  # the earlier ones
        vote_id = gr.State("")
        answered = gr.State(False)  # a question was answered since the page loaded
        with gr.Row(equal_height=False, elem_id="main"):
            with gr.Column(scale=3, min_width=300, elem_id="conversation"):
                chat = gr.HTML(handlers.conversation(StoredConversation()), elem_id="chat", js_on_load=None)
                page_sent = [  # what the page's script sends: a source to open, a vote to record
                    gr.Textbox(elem_id=box, elem_classes=["hidden-input"], container=False)
                    for box in ("open-source", "cast-vote", "search-all", "open-conversation", "delete-conversation")
                ]
                with gr.Row(visible=False, elem_id="comment-row", equal_height=True) as comment_row:
                    comment = gr.Textbox(
                        label="Thanks for your vote. What was wrong with this answer? (optional)",
                        placeholder="For example: it quotes the wrong sentence, or misses a name",
                        scale=5,
                        elem_id="comment",
                        max_length=2000,
                    )
                    send_note = gr.Button("Send comment", scale=1, elem_id="send-comment")
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(
                        placeholder="Ask about the articles…",
                        show_label=False,
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                        max_length=2000,
                        submit_btn=False,
                    )
                    send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="send")
                with gr.Row(elem_id="under-question"):
                    restriction_note = gr.Markdown(elem_id="restriction")
                    new_chat = gr.Button("New chat", variant="secondary", size="sm", scale=0, elem_id="new-chat")
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    top_k = gr.Slider(1, 10, value=DEFAULT_K, step=1, label="Sources per answer", elem_id="top-k")
            with gr.Column(scale=2, min_width=300, elem_id="panel"), gr.Tabs(elem_id="panel-tabs") as panel_tabs:
                with gr.Tab("Sources", id=SOURCES_TAB, elem_id="sources-tab"):
                    sources = gr.HTML(sources_html(None), elem_id="sources", js_on_load=None)
                with gr.Tab("Article", id=ARTICLE_TAB, elem_id="article-tab"):
                    reader = gr.HTML(READER_EMPTY, elem_id="reader", js_on_load=None)
                with gr.Tab("Chats", id="chats", elem_id="chats"):
                    conversation_list = gr.HTML(elem_id="conversation-list", js_on_load=None)
                with gr.Tab("Library", id="library", elem_id="library"):
                    library_search = gr.Textbox(
                        placeholder="Find an article by title, source or date…",
                        show_label=False,
                        elem_id="library-search",
                    )
                    with gr.Row(elem_id="library-filters"):
                        only_source = gr.Dropdown(
                            label="Source", elem_id="only-source", choices=[("any source", "")], min_width=90
                        )
                        date_from = gr.Textbox(
                            label="From date", placeholder="YYYY-MM-DD", elem_id="date-from", min_width=90
                        )
                        date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="date-to", min_width=90)
                    only_articles = gr.CheckboxGroup(label="Ask only these articles", elem_id="only-articles")
                    clear_narrowing = gr.Button(
                        "Search all articles again", variant="secondary", size="sm", elem_id="clear-narrowing"
                    )
                if articles_dir is not None:
                    with gr.Tab("Add articles", id="add-articles", elem_id="add-articles"):
                        upload_files = gr.File(
                            label=f"Drop files here ({', '.join(SUPPORTED_SUFFIXES)})",
                            file_count="multiple",
                            file_types=list(SUPPORTED_SUFFIXES),
                            elem_id="upload-files",
                        )
                        pasted_title = gr.Textbox(label="Or paste an article: its title", elem_id="paste-title")
                        pasted_text = gr.Textbox(label="and its text", lines=5, elem_id="paste-text")
                        addresses = gr.Textbox(
                            label="Or web addresses, one a line (a news feed's address adds its articles)",
                            placeholder="https://…",
                            lines=2,
                            elem_id="add-addresses",
                        )
                        add_button = gr.Button("Add and index", variant="primary", elem_id="add-button")
                        upload_status = gr.Markdown(elem_id="upload-status")
        # "always_last": a question sent while the previous one is being answered is answered
        # next, not silently dropped (Gradio's default ignores it).
        dates = [date_from, date_to]
        narrowing = [only_articles, only_source, *dates]
        for trigger in (question.submit, send.click):
            trigger(
                handlers.respond,
                inputs=[question, top_k, saved, *narrowing],
                outputs=[chat, sources, question, saved, panel_tabs, answered],
                api_visibility="private",
                trigger_mode="always_last",
            ).then(None, js=SHOW_LATEST)
        new_chat.click(
            handlers.new_chat,
            inputs=[saved, kept_conversations],
            outputs=[
                chat, sources, question, saved, comment_row, vote_id, reader, panel_tabs,
                kept_conversations, conversation_list,
            ],
            api_visibility="private",
        )  # fmt: skip
        open_source, cast_vote, search_all, open_conversation, delete_conversation = page_sent
        open_conversation.change(
            handlers.open_conversation,
            inputs=[open_conversation, saved, kept_conversations],
            outputs=[chat, sources, saved, kept_conversations, conversation_list, panel_tabs, reader],
            api_visibility="private",
        ).then(None, js=SHOW_LATEST)
        delete_conversation.change(
            handlers.delete_conversation,
            inputs=[delete_conversation, kept_conversations],
            outputs=[kept_conversations, conversation_list],
            api_visibility="private",
        )
        search_all.change(
            handlers.search_all,
            inputs=[search_all, top_k, saved, library_search],
            outputs=[chat, sources, saved, panel_tabs, *narrowing, restriction_note, kept_narrowing, library_restored],
            api_visibility="private",
        ).then(None, js=SHOW_LATEST)
        open_source.change(
            handlers.open_source,
            inputs=[open_source, saved],
            outputs=[sources, reader, panel_tabs, saved],
            api_visibility="private",
        ).then(None, js=SHOW_CITED)
        cast_vote.change(
            handlers.vote,
            inputs=[cast_vote, saved],
            outputs=[chat, saved, comment_row, comment, vote_id],
            api_visibility="private",
        )
        if articles_dir is not None:
            add_button.click(
                handlers.add_articles,
                inputs=[upload_files, pasted_title, pasted_text, addresses, library_search, *narrowing],
                outputs=[
                    upload_status, upload_files, pasted_title, pasted_text, addresses, *narrowing, restriction_note,
                ],
                api_visibility="private",
                concurrency_limit=1,  # one build at a time
            )  # fmt: skip
        if watcher is not None:
            news_seen = gr.State(0)  # the number of the last change this page was told of
            gr.Timer(2.0).tick(
                handlers.folder_news,
                inputs=[news_seen, library_search, *narrowing],
                outputs=[folder_news, news_seen, *narrowing, restriction_note],
                api_visibility="private",
                show_progress="hidden",
                queue=False,  # a quick look at the watcher: no place in the questions' queue
            )
        for restore in (page.load, kept_narrowing.change):  # the change: the browser read its storage after the load
            restore(
                handlers.restore_library,
                inputs=[library_search, kept_narrowing, library_restored],
                outputs=[*narrowing, restriction_note, library_restored],
                api_visibility="private",
                concurrency_id="describe-narrowing",
                concurrency_limit=1,
            )
        # What the checklist lists, redrawn on what the reader does only (the search box is never set by
        # the server): a restored or cleared library sets the checklist itself, and a redraw racing it
        # would untick what it restored. Gradio's typed `input` misses a pasted date, so leaving the box counts.
        filters_set_by_reader = (only_source.input, *(b.input for b in dates), *(b.blur for b in dates))
        redraw = {"fn": handlers.search_library, "inputs": [library_search, *narrowing], "outputs": [only_articles]}
        for trigger in (library_search.change, *filters_set_by_reader):
            trigger(**redraw, api_visibility="private", trigger_mode="always_last")
        clear_narrowing.click(
            handlers.clear_narrowing,
            inputs=[library_search],
            outputs=[*narrowing, restriction_note, kept_narrowing, library_restored],
            api_visibility="private",
        )
        # What the reader chooses is kept; only the reader's own input counts (`input`, not `change`): a change
        # fires for each control a restore or a refresh sets, with the others' values from before it. One at a
        # time, in order: a late older one would put back the state before.
        for trigger in (only_articles.input, *filters_set_by_reader):
            trigger(
                handlers.describe,
                inputs=narrowing,
                outputs=[restriction_note, kept_narrowing, library_restored],
                api_visibility="private",
                concurrency_id="describe-narrowing",
                concurrency_limit=1,
                trigger_mode="always_last",  # typed fast, the last keystroke's value still counts
            )
        page.load(
            handlers.restore,
            inputs=[saved, kept_conversations, answered],
            outputs=[chat, sources, conversation_list],
            api_visibility="private",
        )
        for trigger in (comment.submit, send_note.click):
            trigger(
                handlers.send_comment,
                inputs=[comment, vote_id],
                outputs=[comment_row, comment, vote_id],
                api_visibility="private",
            )

        def ask(question: str, k: int = DEFAULT_K) -> dict:
            """Answer one question: the answer sentence and the cited passages, as JSON."""
            return answerer.ask(question, k=k).to_json()

        gr.api(ask, api_name="ask")
    return page
