"""The web chat. Gradio reads this before it is first imported: no analytics, no phoning home,
and none of the per-event work that only Gradio's monitoring dashboard (off here) would use."""

import importlib.util
import os
import sys

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# Gradio's queue keeps up to 10,000 past events and, after each event, summarises them all in a
# pandas table for the monitoring dashboard: 7 % of the server's CPU at 32 clients, and growing
# with uptime. Keep few, and never summarise them (docs/benchmarks.md, issue 16).
os.environ["GRADIO_ANALYTICS_MAX_EVENTS"] = "100"
os.environ["GRADIO_ANALYTICS_CACHE_FREQUENCY"] = str(2**62)
# Gradio imports matplotlib around every event to pin its backend; when it is not installed, each
# failed import searches sys.path again (2 % of the CPU). Recording its absence makes it fail at once.
if importlib.util.find_spec("matplotlib") is None:
    sys.modules["matplotlib"] = None
