"""The web chat. Gradio reads this before it is first imported: no analytics, no phoning home."""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
