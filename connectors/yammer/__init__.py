"""Yammer / Viva Engage network data export (the admin "Export data" zip, or that zip unpacked).

Modules: `wire` (file and column names, row shapes), `table` (CSV streaming and cell errors),
`markup` (mention, attachment and participant tokens), `directory` (users, groups, topics),
`attachments` (tokens into attachments, binaries into the store), `messages` (the per-row
mapping), `reader` (the order of work).

How Yammer maps to the neutral records:
- Each group is a Group plus one `feed` Channel with the group's id. Posts without a group_id go
  to the synthetic group and feed channel `all-company` ("All Company"), which also keeps the
  Networks.csv row in `source.network`. A group seen in messages but absent from Groups.csv is
  rebuilt from the row's group cells and reported `degraded`.
- A private conversation (`in_private_conversation` true or `scope_type`
  YAMMER_PRIVATE_CONVERSATION) is the channel `private-<thread_id>`: `direct` with two members,
  `group_direct` with more; members are every `participants` entry and sender of the thread.
- Threads: the root is the row whose id is its thread_id; `replied_to_id` is the reply link.
  `message_type` announcement, question, system, poll, praise and event give the kind; any other
  gives `post` (root) or `reply`. The cell itself stays in `source.message_type`.
- Body: `body` verbatim, format `yammer-plain` (it is in every export generation and holds the
  `[[user:ID]]` tokens the mentions come from); a newer `html_body` is kept in `source.html_body`.
  `text` replaces each known mention by `@Name` (`#topic` for tags) for search.
- Users: `state` active is active; otherwise (soft_delete) deleted_at means deleted,
  suspended_at suspended, neither pending; an empty state without dates is active. A guest has an
  email outside the home domain (see `directory`). A sender absent from Users.csv becomes
  `User(origin="message")` and a `degraded` entry.
- Attachments: one per distinct token, its id the token's canonical form (`uploadedfile:123`,
  `opengraphobject:<card id>`); a file the export lacks is `missing`, not an error (see
  `attachments`).
- Every cell with no neutral field (api_url, sender_type, delegate_id, conversation_id, parent_id,
  scope_type, gdpr_delete_url, columns added by later exports…) is kept in `source` when non-empty.

Fatal, or reported? A problem that would repeat on every row, or that would need a guess, stops the
export with an InputError naming file, line and column (exit code 2): a missing Messages.csv, a
missing required column, invalid UTF-8, a field over 256 MiB (a runaway quote), a timestamp in an
unknown form, a true/false cell holding anything else. A problem local to one row is reported and
the export goes on: a row with the wrong number of fields or an empty id, created_at or sender_id
is `quarantined` with its original text. Locations are physical line numbers (the first line of a
multi-line row). External networks (sub-folders with their own Messages.csv) are reported `skipped`.
"""

from rsemigrate.export import Connector

from .reader import read

connector = Connector(
    name="yammer",
    description="Yammer / Viva Engage network data export (.zip or folder).",
    read=read,
)

__all__ = ["connector"]
