"""The fixed words of the bot: welcome and help."""

WELCOME_TITLE = "👋 Welcome to Marketplace Monitor!"
WELCOME = (
    WELCOME_TITLE + "\n"
    "I watch second-hand marketplaces for you and post every new listing that matches your "
    "search straight into this chat — with the price, the place and a link — so you're first "
    "to the deal.\n\n"
    "Start with /newsearch (a few quick questions) or pick a ready-made search from "
    "/templates. /help lists everything I can do."
)

HELP_TITLE = "What I can do:"
HELP = (
    HELP_TITLE + "\n"
    "/newsearch — set up a new search step by step\n"
    "/templates — start from a ready-made search\n"
    "/searches — your searches, with their status and last check\n"
    "/pause N · /resume N · /edit N · /delete N — manage search #N\n"
    "/saved — listings you saved (/saved 2 for page 2)\n"
    "/save N · /hide N · /unhide N — keep or hide the listing of alert #N\n"
    "/block N — no more listings from the seller of alert #N; /blocked lists and undoes\n"
    "/prices N — the usual asking price for search #N, with a chart (or /prices ps5)\n"
    "/notadeal N — tell me the price verdict on alert #N was wrong\n"
    "/settings — time zone, quiet hours and alert channels (email, SMS, webhook)\n"
    "/verify CODE — confirm an email address or phone number with the code I sent\n"
    "/stats — your numbers: searches, checks, finds, alerts\n"
    "/token — personal API tokens for your own scripts (private chat)\n"
    "/plan — your plan and what it allows · /upgrade — more searches, faster checks\n"
    "/adopt — in a group or channel: take over the searches of a creator who left (admins)\n"
    "/export — a file of everything I hold about you\n"
    "/deleteaccount — delete your account and all its data\n"
    "/cancel — stop what we're doing"
)

UNKNOWN = "I don't know that command. Type /help to see what I can do."
RESTARTED = (
    "Sorry, I lost track of what we were doing after an update on my side; let's start "
    "again. Nothing was changed."
)
STALE = "That question is closed. Send the command again to start over."
IDLE = "Type /newsearch to set up a search, or /help to see what I can do."

# The usage line each command answers with when its argument cannot be used.
_SEE_NUMBERS = " /searches shows the numbers."
USAGE = {
    "pause": "Usage: /pause N — pause search #N, like /pause 3." + _SEE_NUMBERS,
    "resume": "Usage: /resume N — restart search #N, like /resume 3." + _SEE_NUMBERS,
    "edit": "Usage: /edit N — change search #N, like /edit 3." + _SEE_NUMBERS,
    "delete": "Usage: /delete N — delete search #N, like /delete 3." + _SEE_NUMBERS,
    "save": "Usage: /save N — keep the listing of alert #N (the number on the alert).",
    "hide": "Usage: /hide N — no more alerts about the listing of alert #N.",
    "unhide": "Usage: /unhide N — alerts about the listing of alert #N come again.",
    "saved": "Usage: /saved, or /saved 2 for page 2.",
    "token": (
        "Usage: /token create NAME [read|write] [days], /token list, /token revoke NAME. "
        "A token is read-only unless you add write; days: when it expires (none: never)."
    ),
    "block": "Usage: /block N — no more listings from the seller of alert #N.",
    "unblock": "Usage: /unblock N — the number /blocked shows next to the seller.",
}
