"""Microsoft Teams as a source: `collect teams` saves Graph's answers, `export teams` reads them.

Modules: `wire` (Graph shapes and the saved layout), `options` (the declared options), `session`
(options to a signed-in client: the import's credential and client), `collector` (the walk, page by
page, resumable), `folder` (the collection folder as its own checkpoint), `fetch` (Graph reads and
their verdicts), `downloads` (inline images and drive files), `layout` (a saved collection, read by
the reader and by the emulator's seeding), `markup`, `mentions`, `events` (bodies, `<at>` mentions,
system event lines), `directory` (people, teams, channels, chats), `attachments`, `messages`,
`reader` (the order of work). The format, the mapping and the choices are in docs/teams-source.md.
"""
