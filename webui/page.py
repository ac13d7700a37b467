"""The Gradio chat page: layout and event wiring only; webui/handlers.py says what events do."""

from __future__ import annotations

from pathlib import Path

import gradio as gr  # webui/__init__.py has turned Gradio's analytics off

from embeddings.articles import SUPPORTED_SUFFIXES
from qa.answer import DEFAULT_K, Answerer
from qa.feedback import FEEDBACK_FILE, FeedbackLog
from webui.handlers import READER_EMPTY, PageHandlers, fresh_conversation
from webui.render import sources_html

EXAMPLES = (
    "What did Putin call his country's ties with China?",
    "Where did Xi and Putin meet?",
    "Which alliance worried both leaders?",
)

LIBRARY_HEADERS = ["Title", "Source", "Date", "Paragraphs"]

CSS = """
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
#reader { max-height: 560px; overflow-y: auto !important; }
.reader header { margin-bottom: 0.5rem; }
.reader-title { margin: 0 0 0.2rem; }
.reader-meta, .reader-link, .reader-number { color: var(--body-text-color-subdued); font-size: 0.9em; }
.reader-paragraph { line-height: 1.55; padding: 0.2rem 0.4rem; border-left: 3px solid transparent; }
.reader-paragraph.cited { border-left-color: #f59e0b; background: var(--background-fill-secondary); }
.reader mark.answer { background: #fde68a; color: inherit; }
"""

# Clicking (or pressing Enter on) a source card hands its citation to a hidden box, whose change
# event asks the server for the article; no article text passes through this script. The time
# stamp makes every click a change, so a card opens again after the reader showed another.
PAGE_JS = """
() => {
  const open = (card) => {
    const box = document.querySelector('#open-citation textarea');
    if (!box) return;
    box.value = JSON.stringify({...JSON.parse(card.dataset.citation), opened: Date.now()});
    box.dispatchEvent(new Event('input', {bubbles: true}));
  };
  document.addEventListener('click', (event) => {
    const card = event.target.closest('#sources [data-citation]');
    if (card) open(card);
  });
  document.addEventListener('keydown', (event) => {
    const card = event.target.closest('#sources [data-citation]');
    if (card && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); open(card); }
  });
}
"""
SCROLL_TO_CITED = "() => document.querySelector('#reader-cited')?.scrollIntoView({block: 'center'})"


def theme() -> gr.themes.Base:
    """Local fonts only: Gradio's bundled semibold face is broken, and nothing loads from the web."""
    return gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def build_page(
    answerer: Answerer,
    *,
    articles_dir: Path | None = None,
    feedback: FeedbackLog | None = None,
    title: str = "Ask the articles",
) -> gr.Blocks:
    """The chat page for `answerer`: chat box with votes, examples, a top-k control, the sources
    panel and reader, the library, and the conversation kept in the browser (encrypted) across
    reloads. With `articles_dir`, readers may add articles to that folder from the page."""
    handlers = PageHandlers(
        answerer, feedback or FeedbackLog(answerer.retriever.index_dir / FEEDBACK_FILE), articles_dir
    )

    with gr.Blocks(title=title) as page:
        gr.Markdown(f"## {title}\nAnswers quote the articles, with every passage cited to its article and paragraph.")
        saved = gr.BrowserState(fresh_conversation(), storage_key="article-qa-conversation")
        vote_id = gr.State("")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=480, elem_id="chat", feedback_options=("Like", "Dislike"))
                with gr.Row(visible=False, elem_id="comment-row") as comment_row:
                    comment = gr.Textbox(show_label=False, scale=5, elem_id="comment", max_length=2000)
                    send_note = gr.Button("Send comment", scale=1, elem_id="send-comment")
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about the articles…",
                        show_label=False,
                        scale=5,
                        elem_id="question",
                        autofocus=True,
                        max_length=2000,
                        submit_btn=False,
                    )
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    top_k = gr.Slider(1, 10, value=DEFAULT_K, step=1, label="Passages to cite", elem_id="top-k")
                    new_chat = gr.Button("New chat", variant="secondary", elem_id="new-chat")
                restriction_note = gr.Markdown(elem_id="restriction")
                gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[question], label="Try")
                if articles_dir is not None:
                    with gr.Accordion("Add articles", open=False, elem_id="add-articles"):
                        upload_files = gr.File(
                            label=f"Drop files here ({', '.join(SUPPORTED_SUFFIXES)})",
                            file_count="multiple",
                            file_types=list(SUPPORTED_SUFFIXES),
                            elem_id="upload-files",
                        )
                        pasted_title = gr.Textbox(label="Or paste an article: its title", elem_id="paste-title")
                        pasted_text = gr.Textbox(label="and its text", lines=5, elem_id="paste-text")
                        add_button = gr.Button("Add and index", variant="primary", elem_id="add-button")
                        upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Accordion("Library: list the articles, narrow the search", open=False, elem_id="library"):
                    library_search = gr.Textbox(
                        placeholder="Find an article by title, source or date…",
                        show_label=False,
                        elem_id="library-search",
                    )
                    library_table = gr.Dataframe(
                        headers=LIBRARY_HEADERS, interactive=False, elem_id="library-table", max_height=300
                    )
                    only_articles = gr.Dropdown(
                        label="Only these articles", multiselect=True, elem_id="only-articles", choices=[]
                    )
                    with gr.Row():
                        only_source = gr.Dropdown(label="Source", elem_id="only-source", choices=[("any source", "")])
                        date_from = gr.Textbox(label="From date", placeholder="2022-01-01", elem_id="date-from")
                        date_to = gr.Textbox(label="To date", placeholder="2022-12-31", elem_id="date-to")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(sources_html(None), elem_id="sources")
                open_citation = gr.Textbox(elem_id="open-citation", elem_classes=["hidden-input"], container=False)
                gr.Markdown("### Article")
                reader = gr.HTML(READER_EMPTY, elem_id="reader")
        # "always_last": a question sent while the previous one is being answered is answered
        # next, not silently dropped (Gradio's default ignores it).
        narrowing = [only_articles, only_source, date_from, date_to]
        for trigger in (question.submit, send.click):
            trigger(
                handlers.respond,
                inputs=[question, chatbot, top_k, saved, *narrowing],
                outputs=[chatbot, sources, question, saved],
                api_visibility="private",
                trigger_mode="always_last",
            )
        for trigger in (new_chat.click, chatbot.clear):  # the chat's own bin button clears it all too
            trigger(
                handlers.clear,
                outputs=[chatbot, sources, question, saved, comment_row, vote_id, reader],
                api_visibility="private",
            )
        open_citation.change(
            handlers.open_reader, inputs=[open_citation], outputs=[reader], api_visibility="private"
        ).then(None, js=SCROLL_TO_CITED)
        if articles_dir is not None:
            add_button.click(
                handlers.add_articles,
                inputs=[upload_files, pasted_title, pasted_text, library_search, *narrowing],
                outputs=[
                    upload_status, upload_files, pasted_title, pasted_text,
                    library_table, only_articles, only_source, restriction_note,
                ],
                api_visibility="private",
                concurrency_limit=1,  # one build at a time
            )  # fmt: skip
        page.load(
            handlers.refresh_library,
            inputs=[library_search, *narrowing],
            outputs=[library_table, only_articles, only_source, restriction_note],
            api_visibility="private",
        )
        library_search.change(
            handlers.search_library,
            inputs=[library_search],
            outputs=[library_table],
            api_visibility="private",
        )
        for control in narrowing:
            control.change(handlers.describe, inputs=narrowing, outputs=[restriction_note], api_visibility="private")
        page.load(handlers.restore, inputs=[saved], outputs=[chatbot, sources], api_visibility="private")
        chatbot.like(handlers.vote, inputs=[saved], outputs=[comment_row, comment, vote_id], api_visibility="private")
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
